"""The dashboard's entry point: `crm-value dashboard` runs it with Streamlit.

Each rerun resolves the serving folder's `current` link again (data.Serving.current), so
a release published while the dashboard runs is shown at the next interaction. The
sidebar holds the navigation (one page per slug, views/<slug>.py), the language switch,
the global filters and the docs site's page."""

from __future__ import annotations

import streamlit as st

from crm_value.dashboard import DOCS_SLUG, PAGES, VIEWS, texts, ui
from crm_value.dashboard.data import NoRelease, Serving, serve_dir

LANG_KEY = "lang"


def navigation(lang: str):
    pages = [
        st.Page(
            VIEWS / f"{slug}.py",
            title=texts.title(slug, lang),
            url_path=slug,
        )
        for slug in PAGES
    ]
    # The default page is served at the root URL (and reserves its url_path without
    # serving it): overview is registered there too, hidden, so that the root and
    # /overview, its fixed slug, both open it.
    home = st.Page(
        VIEWS / f"{PAGES[0]}.py",
        title=texts.title(PAGES[0], lang),
        url_path="home",
        default=True,
        visibility="hidden",
    )
    docs = st.Page(
        VIEWS / f"{DOCS_SLUG}.py",
        title=texts.title(DOCS_SLUG, lang),
        url_path=DOCS_SLUG,
        icon=":material/menu_book:",
    )
    sections = (texts.text("section_pages", lang), texts.text("section_reference", lang))
    return st.navigation({sections[0]: [home, *pages], sections[1]: [docs]})


def filters(serving: Serving, lang: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The sidebar's filters: one multiselect per filter column (none chosen: all)."""
    if serving.missing("marts.dim_customers"):
        return ()
    st.sidebar.subheader(texts.text("filters", lang))
    chosen = []
    for column in ui.FILTER_COLUMNS:
        options = serving.df(
            f"select distinct coalesce({column}, ?) as v from marts.dim_customers order by v",
            [ui.BLANK],
        )["v"].tolist()
        picked = st.sidebar.multiselect(
            texts.text(column, lang),
            options,
            key=f"filter_{column}",
            format_func=lambda v: texts.text("blank", lang) if v == ui.BLANK else v,
            placeholder=texts.text("all", lang),
        )
        chosen.append((column, tuple(picked)))
    st.sidebar.caption(texts.text("filters_apply", lang))
    return tuple(chosen)


def release_caption(serving: Serving, lang: str) -> None:
    if serving.missing("ops.release"):
        st.sidebar.caption(serving.path.name)
        return
    row = serving.df("select release_id, cast(as_of_date as varchar) as d from ops.release")
    if not row.empty:
        release, day = row.iat[0, 0], row.iat[0, 1]
        st.sidebar.caption(f"{texts.text('release', lang)}: {release} · {day}")


def main() -> None:
    st.set_page_config(page_title="Customer value / 客户价值", layout="wide")
    lang = st.session_state.get(LANG_KEY, "en")
    page = navigation(lang)
    st.sidebar.radio(
        texts.text("language", lang),
        list(texts.LANGUAGES),
        format_func=texts.LANGUAGES.get,
        key=LANG_KEY,
        horizontal=True,
    )
    try:
        serving = Serving.current()
    except NoRelease as exc:
        st.warning(texts.text("no_release", lang, why=exc, serve=serve_dir()))
        return
    release_caption(serving, lang)
    st.session_state[ui.CONTEXT_KEY] = ui.Context(serving, lang, filters(serving, lang))
    page.run()


main()
