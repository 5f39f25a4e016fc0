"""The data set's fixed facts: its calendar, sizes and shares, names and places, and the
typed schema and id format of every entity."""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

# --------------------------------------------------------------------------- #
# Calendar                                                                     #
# --------------------------------------------------------------------------- #

REFERENCE_DATE = date(2025, 12, 31)
"""Fixed "today" of the data set: nothing happens on or after this date."""

DAY = 86_400
_EPOCH = date(1970, 1, 1)


def _epoch_day(d: date) -> int:
    """Return the number of days between 1970-01-01 and ``d``."""
    return (d - _EPOCH).days


REF_DAY = _epoch_day(REFERENCE_DATE)
END_TS = REF_DAY * DAY
"""Exclusive upper bound (epoch seconds) of every generated timestamp."""
ORDER_START_DAY = _epoch_day(date(2023, 1, 1))
ORDER_END_DAY = REF_DAY - 3
"""Exclusive: the last possible order day is four days before the reference date."""
PRE_SPAN_START_DAY = _epoch_day(date(2020, 1, 1))
STALE_CUTOFF_TS = END_TS - 365 * DAY

# Chinese New Year: three weeks of pre-holiday shopping, a dip in holiday week.
_CNY_DAYS = (
    _epoch_day(date(2023, 1, 22)),
    _epoch_day(date(2024, 2, 10)),
    _epoch_day(date(2025, 1, 29)),
)
_MONTH_WEIGHT = np.array([1.15, 1.05, 0.85, 0.85, 0.95, 1.20, 0.90, 0.90, 0.95, 1.00, 1.30, 1.20])
_HOUR_WEIGHT = np.array(
    [0.30, 0.15, 0.10, 0.05, 0.05, 0.10, 0.30, 0.60, 1.00, 1.40, 1.60, 1.60,
     1.50, 1.40, 1.50, 1.50, 1.50, 1.40, 1.40, 1.70, 2.00, 2.00, 1.60, 0.90]
)  # fmt: skip

# --------------------------------------------------------------------------- #
# Sizes and shares                                                             #
# --------------------------------------------------------------------------- #

CHUNK_CUSTOMERS = 100_000
"""Maximum customers per generation chunk (~1M orders per chunk at 10 orders each)."""
ROW_GROUP_ROWS = 1_000_000
"""Target Parquet row-group size."""

BUSINESS_SHARE = 0.20
TYPE_MISSING_SHARE = 0.02
PRE_SPAN_SHARE = 0.15
PROSPECT_SHARE = 0.10
CHURNER_SHARE = 0.45
STALE_SHARE = 0.15
RECEIVABLES_PER_ORDER = 0.05
TICKETS_PER_ORDER = 1 / 12
SURVEYS_PER_ORDER = 0.05
OVERDUE_SHARE = 0.12

# --------------------------------------------------------------------------- #
# Reference data (names, places)                                               #
# --------------------------------------------------------------------------- #

REGIONS: tuple[tuple[str, float, tuple[str, ...]], ...] = (
    ("广东省", 12.0, ("广州市", "深圳市", "东莞市", "佛山市", "珠海市", "惠州市", "中山市")),
    ("江苏省", 9.0, ("南京市", "苏州市", "无锡市", "常州市", "南通市", "徐州市")),
    ("浙江省", 8.0, ("杭州市", "宁波市", "温州市", "绍兴市", "嘉兴市", "金华市")),
    ("山东省", 7.0, ("济南市", "青岛市", "烟台市", "潍坊市", "临沂市")),
    ("上海市", 6.0, ("上海市",)),
    ("北京市", 5.0, ("北京市",)),
    ("河南省", 5.0, ("郑州市", "洛阳市", "南阳市")),
    ("四川省", 5.0, ("成都市", "绵阳市", "德阳市", "宜宾市")),
    ("湖北省", 4.0, ("武汉市", "宜昌市", "襄阳市")),
    ("福建省", 4.0, ("福州市", "厦门市", "泉州市")),
    ("湖南省", 3.0, ("长沙市", "株洲市", "岳阳市")),
    ("安徽省", 3.0, ("合肥市", "芜湖市", "蚌埠市")),
    ("河北省", 3.0, ("石家庄市", "唐山市", "保定市")),
    ("重庆市", 3.0, ("重庆市",)),
    ("天津市", 2.0, ("天津市",)),
    ("陕西省", 2.0, ("西安市", "宝鸡市", "咸阳市")),
    ("辽宁省", 2.0, ("沈阳市", "大连市", "鞍山市")),
    ("江西省", 2.0, ("南昌市", "赣州市", "九江市")),
    ("广西壮族自治区", 2.0, ("南宁市", "柳州市", "桂林市")),
    ("云南省", 1.5, ("昆明市", "曲靖市", "玉溪市")),
    ("黑龙江省", 1.0, ("哈尔滨市", "大庆市", "齐齐哈尔市")),
)  # fmt: skip

INDUSTRIES: tuple[tuple[str, float, tuple[tuple[str, str], ...]], ...] = (
    # (industry, share of businesses, ((word in company names, its pinyin), ...))
    ("制造业", 0.22, (("制造", "zhizao"), ("机械", "jixie"), ("电子", "dianzi"))),
    ("零售", 0.16, (("商贸", "shangmao"), ("百货", "baihuo"), ("零售", "lingshou"))),
    ("餐饮", 0.10, (("餐饮管理", "canyin"), ("食品", "shipin"))),
    ("物流", 0.10, (("物流", "wuliu"), ("供应链", "gongyinglian"), ("运输", "yunshu"))),
    ("科技", 0.18, (("科技", "keji"), ("信息技术", "xinxi"), ("网络科技", "wangluo"))),
    ("医疗", 0.08, (("医疗器械", "yiliao"), ("医药", "yiyao"), ("健康科技", "jiankang"))),
    ("教育", 0.06, (("教育科技", "jiaoyu"), ("培训", "peixun"))),
    ("建筑", 0.10, (("建设工程", "jianshe"), ("建筑工程", "jianzhu"), ("装饰", "zhuangshi"))),
)  # fmt: skip

SURNAMES: tuple[tuple[str, str, float], ...] = (
    ("王", "wang", 7.1), ("李", "li", 7.0), ("张", "zhang", 6.7), ("刘", "liu", 5.4),
    ("陈", "chen", 4.6), ("杨", "yang", 3.1), ("黄", "huang", 2.2), ("赵", "zhao", 2.0),
    ("吴", "wu", 2.0), ("周", "zhou", 1.9), ("徐", "xu", 1.5), ("孙", "sun", 1.5),
    ("马", "ma", 1.3), ("朱", "zhu", 1.3), ("胡", "hu", 1.2), ("郭", "guo", 1.2),
    ("何", "he", 1.1), ("高", "gao", 1.1), ("林", "lin", 1.1), ("罗", "luo", 0.9),
    ("郑", "zheng", 0.9), ("梁", "liang", 0.9), ("谢", "xie", 0.8), ("宋", "song", 0.8),
    ("唐", "tang", 0.8), ("许", "xu", 0.7), ("韩", "han", 0.7), ("冯", "feng", 0.7),
    ("邓", "deng", 0.7), ("曹", "cao", 0.6), ("彭", "peng", 0.6), ("曾", "zeng", 0.6),
    ("肖", "xiao", 0.6), ("田", "tian", 0.5), ("董", "dong", 0.5), ("袁", "yuan", 0.5),
    ("潘", "pan", 0.5), ("于", "yu", 0.5), ("蒋", "jiang", 0.5), ("蔡", "cai", 0.5),
)  # fmt: skip

GIVEN_NAMES: tuple[tuple[str, str], ...] = (
    ("伟", "wei"), ("芳", "fang"), ("娜", "na"), ("敏", "min"), ("静", "jing"),
    ("丽", "li"), ("强", "qiang"), ("磊", "lei"), ("军", "jun"), ("洋", "yang"),
    ("勇", "yong"), ("艳", "yan"), ("杰", "jie"), ("娟", "juan"), ("涛", "tao"),
    ("明", "ming"), ("超", "chao"), ("秀英", "xiuying"), ("霞", "xia"), ("平", "ping"),
    ("刚", "gang"), ("桂英", "guiying"), ("建华", "jianhua"), ("晓明", "xiaoming"),
    ("婷", "ting"), ("欣怡", "xinyi"), ("子涵", "zihan"), ("浩然", "haoran"),
    ("宇轩", "yuxuan"), ("思远", "siyuan"), ("雨桐", "yutong"), ("梓萱", "zixuan"),
    ("俊杰", "junjie"), ("志强", "zhiqiang"), ("海燕", "haiyan"), ("文博", "wenbo"),
    ("佳怡", "jiayi"), ("一鸣", "yiming"), ("晨", "chen"), ("鑫", "xin"), ("博", "bo"),
    ("颖", "ying"), ("慧", "hui"), ("琳", "lin"), ("嘉欣", "jiaxin"), ("天佑", "tianyou"),
)  # fmt: skip

EN_FIRST_NAMES = (
    "Emily", "James", "Olivia", "Michael", "Sophia", "David", "Grace", "Daniel",
    "Chloe", "Kevin", "Jessica", "Jason", "Amy", "Eric", "Linda", "Tony", "Vivian",
    "Peter", "Cindy", "Alex",
)  # fmt: skip
EN_LAST_NAMES = (
    "Chen", "Wang", "Li", "Zhang", "Liu", "Lin", "Huang", "Wong", "Lee", "Ng", "Tan",
    "Smith", "Johnson", "Brown", "Miller", "Taylor", "Wilson",
)  # fmt: skip

BRANDS: tuple[tuple[str, str], ...] = (
    ("华信", "huaxin"), ("恒达", "hengda"), ("鑫源", "xinyuan"), ("盛世", "shengshi"),
    ("宏远", "hongyuan"), ("中科", "zhongke"), ("天成", "tiancheng"), ("瑞丰", "ruifeng"),
    ("金鹏", "jinpeng"), ("博雅", "boya"), ("汇通", "huitong"), ("永兴", "yongxing"),
    ("联创", "lianchuang"), ("嘉禾", "jiahe"), ("百川", "baichuan"), ("润华", "runhua"),
    ("凯利", "kaili"), ("远航", "yuanhang"), ("广源", "guangyuan"), ("德胜", "desheng"),
    ("长青", "changqing"), ("同创", "tongchuang"), ("明辉", "minghui"), ("安泰", "antai"),
)  # fmt: skip
CN_COMPANY_SUFFIXES = ("有限公司", "股份有限公司", "集团有限公司")
CN_COMPANY_SUFFIX_P = (0.72, 0.20, 0.08)
EN_COMPANY_WORDS = (
    "Northwind", "Pacific", "Evergreen", "Silverline", "Orient", "Harbor", "Summit",
    "Lotus", "Redwood", "Crestview", "Bluebay", "Goldleaf",
)  # fmt: skip
EN_COMPANY_KINDS = (
    "Manufacturing", "Trading", "Foods", "Logistics", "Technology", "Medical",
    "Education", "Engineering",
)  # fmt: skip
"""English company-name word per industry (same order as INDUSTRIES)."""
EN_COMPANY_SUFFIXES = ("Co.", "Ltd.", "Co., Ltd.", "Inc.", "Group")

EMAIL_DOMAINS = (
    "qq.com", "163.com", "126.com", "sina.com", "gmail.com", "outlook.com", "foxmail.com",
)  # fmt: skip
EMAIL_DOMAIN_P = (0.35, 0.20, 0.10, 0.05, 0.10, 0.10, 0.10)
BUSINESS_MAILBOXES = ("info", "contact", "sales", "service", "office")
BUSINESS_TLDS = (".com.cn", ".com", ".cn")
PHONE_PREFIXES = tuple(
    [str(p) for p in range(130, 140)]
    + ["150", "151", "152", "153", "155", "156", "157", "158", "159"]
    + ["166", "170", "173", "175", "176", "177", "178"]
    + [str(p) for p in range(180, 190)]
    + ["191", "198", "199"]
)

CUSTOMER_TYPES = ("individual", "business")
ACQUISITION_CHANNELS = ("store", "web", "sales_rep", "referral")
ACQUISITION_P_INDIVIDUAL = (0.40, 0.40, 0.05, 0.15)
ACQUISITION_P_BUSINESS = (0.08, 0.12, 0.65, 0.15)
ORDER_STATUSES = ("completed", "cancelled", "returned")
ORDER_STATUS_P = (0.92, 0.05, 0.03)
ORDER_CHANNELS = ("store", "web", "app", "sales_rep")
# Order channel probabilities per acquisition channel (rows follow
# ACQUISITION_CHANNELS, columns follow ORDER_CHANNELS).
ORDER_CHANNEL_P = np.array(
    [
        [0.70, 0.10, 0.15, 0.05],
        [0.10, 0.50, 0.38, 0.02],
        [0.10, 0.10, 0.05, 0.75],
        [0.30, 0.30, 0.30, 0.10],
    ]
)
TICKET_TYPES = ("complaint", "inquiry", "request", "repair")
TICKET_TYPE_P = (0.20, 0.35, 0.25, 0.20)
TICKET_TYPE_P_PROSPECT = (0.0, 0.85, 0.15, 0.0)
TICKET_MINUTES_FACTOR = np.array([2.0, 0.6, 1.0, 3.0])
PAYMENT_TERMS = (30, 60, 90)
PAYMENT_TERM_P = (0.5, 0.3, 0.2)

# --------------------------------------------------------------------------- #
# Output schemas                                                               #
# --------------------------------------------------------------------------- #

MONEY = pa.decimal128(18, 2)
_TS = pa.timestamp("s")

SCHEMAS: dict[str, pa.Schema] = {
    "customers": pa.schema(
        [
            ("customer_id", pa.string()),
            ("customer_name", pa.string()),
            ("customer_type", pa.string()),
            ("region", pa.string()),
            ("city", pa.string()),
            ("industry", pa.string()),
            ("acquisition_channel", pa.string()),
            ("email", pa.string()),
            ("phone", pa.string()),
            ("created_at", _TS),
            ("updated_at", _TS),
        ]
    ),
    "orders": pa.schema(
        [
            ("order_id", pa.string()),
            ("customer_id", pa.string()),
            ("ordered_at", _TS),
            ("status", pa.string()),
            ("quantity", pa.int64()),
            ("amount", MONEY),
            ("cost", MONEY),
            ("channel", pa.string()),
        ]
    ),
    "receivables": pa.schema(
        [
            ("invoice_id", pa.string()),
            ("customer_id", pa.string()),
            ("issued_at", pa.date32()),
            ("due_at", pa.date32()),
            ("amount", MONEY),
            ("paid_amount", MONEY),
            ("paid_at", pa.date32()),
        ]
    ),
    "service_tickets": pa.schema(
        [
            ("ticket_id", pa.string()),
            ("customer_id", pa.string()),
            ("opened_at", _TS),
            ("closed_at", _TS),
            ("ticket_type", pa.string()),
            ("handling_minutes", MONEY),
        ]
    ),
    "surveys": pa.schema(
        [
            ("response_id", pa.string()),
            ("customer_id", pa.string()),
            ("responded_at", _TS),
            ("expectation_score", pa.int64()),
            ("perception_score", pa.int64()),
            ("recommend_score", pa.int64()),
        ]
    ),
}
"""Typed schema of every entity (Parquet stores the timestamps as microseconds)."""

ENTITIES: tuple[str, ...] = tuple(SCHEMAS)
_ID_PREFIX = {
    "customers": "C",
    "orders": "O",
    "receivables": "I",
    "service_tickets": "T",
    "surveys": "S",
}
_ID_WIDTH = {
    "customers": 7,
    "orders": 8,
    "receivables": 8,
    "service_tickets": 8,
    "surveys": 8,
}
