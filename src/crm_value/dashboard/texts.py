"""Every text of the dashboard, in English and Chinese: (en, zh) per key.

Tier labels are not here: they come from marts.dim_tier_strategy (tier_label_en/zh)."""

# Chinese text takes full-width punctuation (comma, colon, brackets), which RUF001 reads
# as look-alikes of ASCII.
# ruff: noqa: RUF001

from __future__ import annotations

LANGUAGES = {"en": "English", "zh": "中文"}

TITLES = {
    "overview": ("Overview", "总览"),
    "pyramid_abc": ("Pyramid and ABC", "客户金字塔与 ABC"),
    "rfm": ("RFM", "RFM 分析"),
    "value_dimensions": ("Value dimensions", "价值维度"),
    "clv": ("Customer lifetime value", "客户终身价值"),
    "tier_migration": ("Tier migration", "层级迁移"),
    "key_customers_at_risk": ("Key customers at risk", "流失风险大客户"),
    "cohort_retention": ("Cohort retention", "同期群留存"),
    "data_quality": ("Data quality", "数据质量"),
    "customer_lookup": ("Customer lookup", "客户查询"),
    "docs": ("Data docs (dbt)", "数据文档 (dbt)"),
}

EXPLAIN = {
    "overview": (
        "What this release says about the customer base as of its analysis date. The curve "
        "ranks customers from the biggest spender down and shows how fast revenue piles up: "
        "the steeper the start, the more the business depends on a few customers (the 80/20 "
        "rule).",
        "本页概括当前发布版本在其分析日期时的客户全貌。曲线把客户按消费额从高到低排列，"
        "显示收入累积得有多快：起步越陡，业务越依赖少数客户（即“二八定律”）。",
    ),
    "pyramid_abc": (
        "Two ways of sorting customers by what they spend. The pyramid puts a few top "
        "customers at the peak and many small or inactive ones at the base. ABC cuts the "
        "ranked revenue into the customers that bring most of it (A), the middle (B) and "
        "the long tail (C).",
        "两种按消费额给客户分层的方法。金字塔把少数顶级客户放在塔尖，大量小客户和沉默客户放在塔底；"
        "ABC 分类把按收入排序的客户切成三段：贡献大部分收入的 A 类、中间的 B 类和长尾的 C 类。",
    ),
    "rfm": (
        "RFM scores each buying customer 1 to 5 on how recently they bought (R), how often "
        "(F) and how much (M). The grid crosses recency with the combined frequency-and-"
        "money score: the top right holds recent, frequent, big spenders; the left column "
        "the ones slipping away.",
        "RFM 按最近一次购买（R）、购买频率（F）和消费金额（M）给每位有购买的客户打 1 到 5 分。"
        "网格把 R 与 F、M 合成的得分交叉：右上角是近期常买且花得多的客户，左列是正在流失的客户。",
    ),
    "value_dimensions": (
        "Six plain questions about each customer: can they spend a lot, do they buy often, "
        "could they grow, are they satisfied, are they loyal and how likely are they to "
        "leave. Loyalty types and lifecycle stages sum those answers up.",
        "针对每位客户的六个简单问题：购买力强不强、买得勤不勤、还有没有增长潜力、满意度如何、"
        "忠诚度如何、流失风险多大。忠诚类型和生命周期阶段是对这些答案的归纳。",
    ),
    "clv": (
        "Customer lifetime value (CLV) is what a customer is expected to spend from here, "
        "from a model fitted to everyone's buying rhythm. P(alive) is the chance they are "
        "still a customer at all. The backtest fits the model on older data and compares "
        "what it predicted with what customers then actually bought.",
        "客户终身价值（CLV）是根据所有客户的购买节奏拟合出的模型，预计某位客户今后还会花多少钱。"
        "P(alive) 是该客户仍然“活跃”的概率。"
        "回测用较早的数据拟合模型，再把预测与客户随后的实际购买进行比较。",
    ),
    "tier_migration": (
        "How customers moved between the tiers of one scheme from one snapshot to another. "
        "Each cell counts the customers that were in the row's tier at the first date and "
        "in the column's tier at the second; 'not in scope' means not a customer in that "
        "scheme then.",
        "某一分层方案下，客户在两个快照日期之间如何在层级间流动。每个格子统计第一天在该行层级、"
        "第二天在该列层级的客户数；“不在范围内”表示当时在该方案中还不是（或已不是）客户。",
    ),
    "key_customers_at_risk": (
        "Customers who were in a key tier not long ago and now show signs of leaving: gone "
        "quiet, drifting away or spending less. The list is in call order, with the service "
        "level, how often to get in touch and what to do.",
        "不久前还处于重点层级、现在却出现流失迹象的客户：已沉寂、渐行渐远或消费下滑。名单按拨打顺序排列，"
        "并附上服务级别、联系频率和建议行动。",
    ),
    "cohort_retention": (
        "Customers grouped by the month of their first order. Each row is one such group; "
        "each column the months since, and the colour the share of the group that bought "
        "in that month. Fading to the right is normal; fading faster than older rows is not.",
        "按首次下单月份把客户分组（同期群）。每行是一组，每列是此后的第几个月，颜色表示该组当月仍有购买的客户比例。"
        "向右逐渐变淡是正常的；比更早的组淡得更快则值得关注。",
    ),
    "data_quality": (
        "Can the numbers be trusted? How complete and up to date the customer files are, "
        "which raw rows the build refused and why, where every raw row went, and how the "
        "recent refreshes ended.",
        "这些数字可信吗？本页展示客户档案的完整度与及时性、构建时拒收了哪些原始行及原因、"
        "每一行原始数据的去向，以及最近几次刷新的结果。",
    ),
    "customer_lookup": (
        "Everything the warehouse says about one customer: every label, the strategy that "
        "follows from the main tier, and when each tier last changed.",
        "数据仓库中关于某一位客户的全部信息：所有标签、由主层级得出的服务策略，以及各层级最近一次变化的时间。",
    ),
    "docs": (
        "The dbt documentation of the build that made this release: every model, its "
        "columns and tests, and the lineage graph.",
        "生成本发布版本的那次构建的 dbt 文档：所有模型、字段、测试以及数据血缘图。",
    ),
}

UI = {
    "language": ("Language", "语言"),
    "section_pages": ("Customer value", "客户价值"),
    "section_reference": ("Reference", "参考"),
    "complete_share": ("Complete profiles", "档案完整比例"),
    "current_share": ("Up-to-date profiles", "档案及时比例"),
    "rejected_share": ("Rejected share", "拒收比例"),
    "filters": ("Filters", "筛选"),
    "region": ("Region", "地区"),
    "customer_type": ("Customer type", "客户类型"),
    "acquisition_channel": ("Acquisition channel", "获客渠道"),
    "all": ("all", "全部"),
    "blank": ("(blank)", "（空）"),
    "filters_apply": (
        "Filters apply to the per-customer charts and tables.",
        "筛选条件作用于按客户计算的图表和表格。",
    ),
    "filters_ignored": (
        "A summary published for all customers: the filters do not apply here.",
        "这是对全部客户发布的汇总：筛选条件不适用。",
    ),
    "filters_active": ("Filtered", "已筛选"),
    "not_in_release": (
        "Not in this release yet: {tables}. A later refresh of the warehouse adds it.",
        "本发布版本中还没有：{tables}。之后的刷新会补上。",
    ),
    "no_release": (
        "No published data to show: {why}. Run `crm-value refresh` (or `make build`) to "
        "publish a release into {serve}.",
        "没有可展示的已发布数据：{why}。"
        "请运行 `crm-value refresh`（或 `make build`）向 {serve} 发布一个版本。",
    ),
    "docs_link": ("Data docs (dbt)", "数据文档 (dbt)"),
    "docs_missing": (
        "This release has no docs site (docs/index.html).",
        "本发布版本没有文档站点（docs/index.html）。",
    ),
    "docs_download": ("Download the docs page (HTML)", "下载文档页面 (HTML)"),
    "docs_hint": (
        "The page is embedded below. To open it in a tab of its own, download it and open "
        "the file: it is one self-contained page.",
        "文档页面嵌入在下方。如需在单独的标签页中打开，请下载后直接打开该文件：它是一个独立的单页。",
    ),
    "release": ("Release", "发布版本"),
    "as_of_date": ("Analysis date", "分析日期"),
    "published_at": ("Published (UTC)", "发布时间 (UTC)"),
    "last_run": ("Last refresh", "最近一次刷新"),
    "customers": ("Customers", "客户数"),
    "revenue": ("Revenue (value window)", "收入（价值窗口）"),
    "quality_customers": ("Quality customers", "优质客户"),
    "top20": ("Revenue from the top 20%", "前 20% 客户的收入占比"),
    "pareto": ("Pareto curve", "帕累托曲线"),
    "customer_share": ("Cumulative share of customers", "客户累计占比"),
    "revenue_share": ("Cumulative share of revenue", "收入累计占比"),
    "abc_summary": ("ABC classes (published summary)", "ABC 分类（发布的汇总）"),
    "pyramid_summary": ("Pyramid tiers (published summary)", "金字塔层级（发布的汇总）"),
    "quality_summary": ("Quality customers (published summary)", "优质客户（发布的汇总）"),
    "pyramid": ("Customer pyramid", "客户金字塔"),
    "abc": ("ABC classes", "ABC 分类"),
    "tier": ("Tier", "层级"),
    "share_of_customers": ("Share of customers", "客户占比"),
    "share_of_revenue": ("Share of revenue", "收入占比"),
    "not_classified": ("not classified (no revenue)", "未分类（无收入）"),
    "rfm_grid": ("R × FM grid", "R × FM 网格"),
    "rfm_count": ("Customers per cell", "每格客户数"),
    "rfm_revenue": ("Revenue per cell", "每格收入"),
    "rfm8": ("The eight RFM types", "RFM 八类客户"),
    "rfm_segments": ("RFM segments (published summary)", "RFM 细分（发布的汇总）"),
    "value_dims": ("The six value dimensions", "六个价值维度"),
    "loyalty_types": ("Loyalty types", "忠诚类型"),
    "lifecycle": ("Lifecycle stages", "生命周期阶段"),
    "dimension": ("Dimension", "维度"),
    "clv_dist": ("CLV distribution", "CLV 分布"),
    "p_alive_dist": ("P(alive) distribution", "P(alive) 分布"),
    "backtest": ("Backtest: predicted vs actual purchases", "回测：预测与实际购买次数"),
    "backtest_tracking": ("Backtest over time (cumulative)", "回测随时间变化（累计）"),
    "model_params": ("The chosen models' parameters", "所选模型的参数"),
    "chosen_model": ("Chosen purchase model", "所选购买模型"),
    "predicted": ("predicted", "预测"),
    "actual": ("actual", "实际"),
    "scheme": ("Scheme", "分层方案"),
    "from_date": ("From", "起始日期"),
    "to_date": ("To", "结束日期"),
    "migration": ("Customers moving between tiers", "客户在层级间的流动"),
    "trend": ("Customers per tier over time", "各层级客户数随时间变化"),
    "not_in_scope": ("not in scope", "不在范围内"),
    "history_needs_dates": (
        "The tier history holds one date only: migration needs two.",
        "层级历史只有一个日期：迁移分析需要两个日期。",
    ),
    "call_list": ("Call list", "拨打名单"),
    "by_case": ("Customers by win-back case", "按挽回情形统计的客户"),
    "contacts_shown": (
        "Names and contacts come from the restricted file, which this account can read.",
        "姓名和联系方式来自受限文件（本账户有权读取）。",
    ),
    "contacts_hidden": (
        "Names and contacts are in the restricted file, which this account cannot read: "
        "customer ids only.",
        "姓名和联系方式保存在受限文件中，本账户无权读取：仅显示客户编号。",
    ),
    "contacts_off": (
        "Names and contacts are not shown: the dashboard was started without "
        "--show-contacts (customer ids only).",
        "未显示姓名和联系方式：仪表盘启动时未加 --show-contacts（仅显示客户编号）。",
    ),
    "contacts_absent": (
        "This release has no restricted file: customer ids only.",
        "本发布版本没有受限文件：仅显示客户编号。",
    ),
    "cohorts": ("Active share by cohort and month", "各同期群每月活跃比例"),
    "file_quality": ("Customer file quality", "客户档案质量"),
    "rejected": ("Rejected rows by reason", "按原因统计的拒收行"),
    "reconciliation": ("Where every raw row went", "原始数据行的去向"),
    "run_history": ("Refresh history", "刷新历史"),
    "no_rejected": ("No row was rejected.", "没有被拒收的行。"),
    "pick_customer": ("Customer id", "客户编号"),
    "no_customer": ("No customer matches the filters.", "没有符合筛选条件的客户。"),
    "unknown_customer": ("No customer {id} in this release.", "本发布版本中没有客户 {id}。"),
    "labels": ("Labels", "标签"),
    "tiers": ("Tiers", "层级"),
    "strategy": ("Strategy", "服务策略"),
    "tier_changes": ("Tier changes", "层级变化"),
    "customer_history": ("Value over time", "价值随时间变化"),
    "contact": ("Contact", "联系方式"),
    "primary_tier": ("Primary tier", "主层级"),
    "service_level": ("Service level", "服务级别"),
    "cadence": ("Contact every (days)", "联系周期（天）"),
    "actions": ("Recommended actions", "建议行动"),
    "share": ("Share", "占比"),
    "count": ("Count", "数量"),
    "date": ("Date", "日期"),
    "entity": ("File", "数据文件"),
    "reason": ("Reason", "原因"),
    "rows": ("Rows", "行数"),
    "outcome": ("Outcome", "结果"),
}

# Column headers of the tables, in Chinese (English keeps the column names).
COLUMNS_ZH = {
    "customers": "客户数",
    "revenue": "收入",
    "share_of_customers": "客户占比",
    "share_of_revenue": "收入占比",
    "cumulative_share_of_customers": "客户累计占比",
    "cumulative_share_of_revenue": "收入累计占比",
    "tier": "层级",
    "tier_code": "层级代码",
    "scheme": "分层方案",
    "customer_id": "客户编号",
    "customer_name": "客户名称",
    "email": "邮箱",
    "phone": "电话",
    "region": "地区",
    "city": "城市",
    "customer_type": "客户类型",
    "service_level": "服务级别",
    "contact_cadence_days": "联系周期（天）",
    "recommended_actions": "建议行动",
    "call_rank": "拨打顺序",
    "key_tier": "重点层级",
    "win_back_case": "挽回情形",
    "revenue_then": "当时收入",
    "revenue_now": "当前收入",
    "clv_now": "当前 CLV",
    "p_alive": "P(alive)",
    "recency_days": "距上次购买天数",
    "last_order_date": "最近下单日期",
    "field": "字段",
    "value": "值",
    "label": "标签",
    "current_tier": "当前层级",
    "previous_tier": "之前层级",
    "changed_on": "变化日期",
    "days_in_current_tier": "当前层级天数",
    "entity": "数据文件",
    "reason": "原因",
    "rows": "行数",
    "dimension": "维度",
    "dimension_value": "维度取值",
    "complete_share": "完整比例",
    "current_share": "及时比例",
}


def text(key: str, lang: str, **values: object) -> str:
    """The text `key` in `lang` ('en' or 'zh'), with `values` filled in."""
    en, zh = UI[key]
    return (zh if lang == "zh" else en).format(**values)


def explain(slug: str, lang: str) -> str:
    en, zh = EXPLAIN[slug]
    return zh if lang == "zh" else en


def title(slug: str, lang: str) -> str:
    en, zh = TITLES[slug]
    return zh if lang == "zh" else en


# The tier schemes of marts.dim_tier_strategy, by name.
SCHEMES = {
    "pyramid": ("Customer pyramid", "客户金字塔"),
    "abc": ("ABC class", "ABC 分类"),
    "rfm8": ("RFM eight types", "RFM 八类"),
    "rfm_segment": ("RFM segment", "RFM 细分"),
    "loyalty_type": ("Loyalty type", "忠诚类型"),
    "lifecycle_stage": ("Lifecycle stage", "生命周期阶段"),
    "quality": ("Quality customers", "优质客户"),
    "purchasing_power": ("Purchasing power", "购买力"),
    "purchase_frequency": ("Purchase frequency", "购买频率"),
    "purchase_potential": ("Purchase potential", "购买潜力"),
    "satisfaction": ("Satisfaction", "满意度"),
    "loyalty": ("Loyalty", "忠诚度"),
    "churn_risk": ("Churn risk", "流失风险"),
    "win_back": ("Win-back case", "挽回情形"),
}


def scheme(name: str, lang: str) -> str:
    en, zh = SCHEMES.get(name, (name, name))
    return zh if lang == "zh" else en
