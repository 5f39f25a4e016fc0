"""Page `docs`: the release's dbt docs site (docs/index.html, one self-contained page),
embedded, and offered as a download to open in a tab of its own. Streamlit cannot link a
file:// URL (browsers block it from an http page) and serves static files only from the
app's own folder, so the page itself is sent."""

from __future__ import annotations

import streamlit as st

from crm_value.dashboard import ui

HEIGHT = 900


def render(ctx: ui.Context) -> None:
    ui.page_header(ctx, "docs")
    page = ctx.serving.docs_page
    if not page.is_file():
        st.info(ctx.t("docs_missing"))
        return
    st.caption(ctx.t("docs_hint"))
    st.download_button(
        ctx.t("docs_download"),
        page.read_bytes(),
        file_name=f"crm_value_docs_{ctx.serving.path.name}.html",
        mime="text/html",
        on_click="ignore",
        key="docs_download",
    )
    st.iframe(page, height=HEIGHT, alt="dbt docs")


render(ui.context())
