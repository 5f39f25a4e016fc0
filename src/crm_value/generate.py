"""Deterministic synthetic CRM data for the crm_value dbt + DuckDB project.

Five entities are written to one output folder, one file per entity, named
``<entity>.csv`` or ``<entity>.parquet``:

``customers``
    Customer master data (individuals and businesses in Chinese provinces) with
    profile gaps and stale records.
``orders``
    About three years of seasonal order history with heavy-tailed customer value,
    customer acquisition over time, churn, prospects without orders and same-day
    repeat orders.
``receivables``
    Invoices for a subset of business customers' completed orders; about 12% are
    overdue and not fully paid at :data:`REFERENCE_DATE`.
``service_tickets``
    Complaints, inquiries, requests and repairs; about 5% still open.
``surveys``
    Expectation / perception / recommendation scores.

All timestamps are naive local times strictly before ``REFERENCE_DATE`` 00:00:00
and never before the customer's ``created_at``; the only values after the
reference date are ``receivables.due_at`` of invoices that are not due yet.

The work is vectorised with numpy and done in chunks of ``CHUNK_CUSTOMERS``
customers, so a 1M-customer / 10M-order Parquet run has bounded memory.
Identical arguments give byte-identical files.

With anomalies on (default), a small fixed set of contract-breaking rows is
interleaved into the last chunk at seed-determined positions and documented in
``<out>/_anomalies.json`` (see :data:`ANOMALY_KINDS`).  Apart from the exact
duplicates, the older customer versions and the conflicting order duplicates
(which reuse existing ids), every anomaly row has a fresh id and nothing else
refers to it, so rejecting it does not cascade into other entities.

Usage::

    python -m crm_value.generate --out data/raw --format csv \\
        --customers 2000 --orders 30000 --seed 42
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from numpy.typing import NDArray

__all__ = [
    "ANOMALY_KINDS",
    "ENTITIES",
    "REFERENCE_DATE",
    "SCHEMAS",
    "generate",
    "main",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]

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

# --------------------------------------------------------------------------- #
# Anomaly catalogue                                                            #
# --------------------------------------------------------------------------- #

ANOMALY_KINDS: dict[str, dict[str, tuple[int, bool, str]]] = {
    "customers": {
        "exact_duplicate": (5, True, "existing customer row repeated verbatim"),
        "older_version": (
            10,
            False,
            "legitimate extra version of an existing customer: same customer_id, "
            "earlier updated_at (>= created_at), different city of the same region",
        ),
        "conflicting_version": (
            2,
            True,
            "one new customer_id with two rows tying on updated_at but differing "
            "in phone and email (rows counts both rows)",
        ),
        "updated_before_created": (
            2,
            True,
            "new customer_id whose updated_at is earlier than its created_at",
        ),
        "invalid_customer_type": (1, True, "new customer_id with customer_type 'vip'"),
    },
    "orders": {
        "exact_duplicate": (8, True, "existing order row repeated verbatim"),
        "conflicting_duplicate": (
            4,
            True,
            "two existing order_ids repeated with a different amount "
            "(rows counts both rows of each id)",
        ),
        "orphan_customer": (
            3,
            True,
            "new order_id whose customer_id is not in customers (C999999nX)",
        ),
        "negative_amount": (2, True, "new order_id with a negative amount"),
        "invalid_status": (1, True, "new order_id with status 'shipped'"),
        "unparseable_amount": (
            1,
            True,
            "CSV only: new order_id whose amount is the text '12,50'",
        ),
        "negative_quantity": (
            1,
            True,
            "Parquet only (replaces unparseable_amount): new order_id with a negative quantity",
        ),
        "future_ordered_at": (1, True, "new order_id with ordered_at in 2099"),
    },
    "receivables": {
        "paid_exceeds_amount": (1, True, "new invoice_id with paid_amount > amount"),
        "due_before_issued": (1, True, "new invoice_id with due_at < issued_at"),
    },
    "service_tickets": {
        "closed_before_opened": (1, True, "new ticket_id with closed_at < opened_at"),
        "invalid_ticket_type": (1, True, "new ticket_id with ticket_type 'praise'"),
    },
    "surveys": {
        "score_out_of_range": (1, True, "new response_id with expectation_score 11"),
        "exact_duplicate": (1, True, "existing survey row repeated verbatim"),
    },
}
"""entity -> kind -> (rows in the file, is a contract error, description)."""

# --------------------------------------------------------------------------- #
# Small helpers                                                                #
# --------------------------------------------------------------------------- #


def _probs(weights: Sequence[float]) -> FloatArray:
    """Normalise weights into a probability vector."""
    arr = np.asarray(weights, dtype=np.float64)
    return arr / arr.sum()


def _strings(values: Sequence[str]) -> pa.Array:
    """Build a small dictionary array of strings to ``take`` from."""
    return pa.array(list(values), type=pa.string())


def _take(values: pa.Array, idx: NDArray[Any]) -> pa.Array:
    """Vectorised lookup of ``values`` at integer positions ``idx``."""
    return values.take(pa.array(np.asarray(idx, dtype=np.int64)))


def _concat(*parts: pa.Array | str) -> pa.Array:
    """Element-wise string concatenation of arrays and scalar strings."""
    return pc.binary_join_element_wise(*parts, "")


def _null_where(arr: pa.Array, mask: BoolArray) -> pa.Array:
    """Replace the elements of ``arr`` where ``mask`` is true by null."""
    if not mask.any():
        return arr
    return pc.if_else(pa.array(mask), pa.scalar(None, type=arr.type), arr)


def _select(mask: BoolArray, when_true: pa.Array, when_false: pa.Array) -> pa.Array:
    """Element-wise ``mask ? when_true : when_false`` for Arrow arrays."""
    return pc.if_else(pa.array(mask), when_true, when_false)


def _int_str(values: IntArray) -> pa.Array:
    """Format integers as decimal strings."""
    return pc.cast(pa.array(values, type=pa.int64()), pa.string())


def _ids(entity: str, first: int, count: int, total: int) -> pa.Array:
    """Sequential ids ``<prefix><zero padded number>`` starting at ``first``."""
    width = max(_ID_WIDTH[entity], len(str(total)))
    nums = np.arange(first, first + count, dtype=np.int64)
    padded = pc.utf8_lpad(_int_str(nums), width, "0")
    return _concat(pa.scalar(_ID_PREFIX[entity]), padded)


def _id_str(entity: str, number: int, total: int) -> str:
    """A single id, formatted like :func:`_ids`."""
    width = max(_ID_WIDTH[entity], len(str(total)))
    return f"{_ID_PREFIX[entity]}{number:0{width}d}"


def _decimal(cents: IntArray, valid: BoolArray | None = None) -> pa.Array:
    """Exact ``decimal128(18, 2)`` array from integer cents (two's complement)."""
    cents = np.ascontiguousarray(cents, dtype=np.int64)
    words = np.empty((cents.size, 2), dtype=np.int64)
    words[:, 0] = cents
    words[:, 1] = cents >> 63
    validity = None
    null_count = 0
    if valid is not None and not valid.all():
        validity = pa.py_buffer(np.packbits(valid, bitorder="little"))
        null_count = int(cents.size - np.count_nonzero(valid))
    return pa.Array.from_buffers(
        MONEY, cents.size, [validity, pa.py_buffer(words)], null_count=null_count
    )


def _timestamps(seconds: IntArray, valid: BoolArray | None = None) -> pa.Array:
    """``timestamp[s]`` array from epoch seconds."""
    mask = None if valid is None else ~valid
    return pa.array(seconds.astype("datetime64[s]"), type=_TS, mask=mask)


def _dates(days: IntArray, valid: BoolArray | None = None) -> pa.Array:
    """``date32`` array from epoch days."""
    mask = None if valid is None else ~valid
    return pa.array(days.astype("datetime64[D]"), type=pa.date32(), mask=mask)


def _ints(values: IntArray, valid: BoolArray | None = None) -> pa.Array:
    """``int64`` array with optional nulls."""
    mask = None if valid is None else ~valid
    return pa.array(values.astype(np.int64), type=pa.int64(), mask=mask)


def _choice(rng: np.random.Generator, p: Sequence[float], size: int) -> IntArray:
    """Draw ``size`` category indices with probabilities ``p``."""
    return rng.choice(len(p), size=size, p=_probs(p)).astype(np.int64)


def _uniform_int(rng: np.random.Generator, low: IntArray, high: IntArray) -> IntArray:
    """Integers uniformly in ``[low, high)`` (``low`` where the range is empty)."""
    span = np.maximum(high - low, 0)
    return low + np.floor(rng.random(low.shape) * span).astype(np.int64)


def _group_starts(counts: IntArray) -> IntArray:
    """Start offset of every group in a ``np.repeat``-style layout."""
    return np.cumsum(counts) - counts


@lru_cache(maxsize=1)
def _order_day_cdf() -> FloatArray:
    """Cumulative seasonal weight of every order day (length = days + 1).

    Monthly weights peak in Jan/Feb (Chinese New Year shopping), June (618),
    November (Double 11) and December; single days 6/18, 11/11 and 12/12 spike;
    weekends are busier; Chinese New Year week itself is quiet.
    """
    days = np.arange(ORDER_START_DAY, ORDER_END_DAY, dtype=np.int64)
    dt = days.astype("datetime64[D]")
    month_start = dt.astype("datetime64[M]")
    month = month_start.astype(np.int64) % 12 + 1
    dom = (dt - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    weekday = (days + 3) % 7  # 0 = Monday (1970-01-01 was a Thursday)
    w = _MONTH_WEIGHT[month - 1].copy()
    w *= np.where(weekday >= 5, 1.2, 1.0)
    w *= np.where((month == 6) & (dom == 18), 3.0, 1.0)
    w *= np.where((month == 6) & (dom < 18), 1.2, 1.0)
    w *= np.where((month == 11) & (dom == 11), 4.0, 1.0)
    w *= np.where((month == 11) & (dom < 11), 1.3, 1.0)
    w *= np.where((month == 12) & (dom == 12), 2.0, 1.0)
    for cny in _CNY_DAYS:
        w *= np.where((days >= cny - 21) & (days < cny), 1.4, 1.0)
        w *= np.where((days >= cny) & (days < cny + 7), 0.5, 1.0)
    cdf = np.concatenate([[0.0], np.cumsum(w)])
    return cdf / cdf[-1]


# --------------------------------------------------------------------------- #
# Global plan (one value per customer, cheap even for millions of customers)  #
# --------------------------------------------------------------------------- #


@dataclass(frozen=True)
class _Plan:
    """Per-customer skeleton shared by all chunks.

    Everything that fixes row counts lives here, so counts and ids are known
    before any chunk is generated.
    """

    n_customers: int
    n_orders: int
    is_business: BoolArray
    type_missing: BoolArray
    created_ts: IntArray
    start_day: IntArray
    end_day: IntArray
    order_counts: IntArray
    ticket_counts: IntArray
    survey_counts: IntArray
    invoice_prob: float
    # Every order's amount in cents, one order per customer and day; None: drawn.
    constant_cents: int | None = None

    def id_total(self, entity: str) -> int:
        """Upper bound of the id numbers of ``entity`` (fixes the id width)."""
        if entity == "customers":
            return self.n_customers + 100
        if entity == "service_tickets":
            return int(self.ticket_counts.sum()) + 100
        if entity == "surveys":
            return int(self.survey_counts.sum()) + 100
        return self.n_orders + 100  # orders and receivables


def _spread(rng: np.random.Generator, total: int, weights: FloatArray) -> IntArray:
    """Split ``total`` into per-customer counts proportional to ``weights``."""
    s = float(weights.sum())
    if total <= 0 or s <= 0:
        return np.zeros(weights.size, dtype=np.int64)
    return rng.multinomial(total, weights / s).astype(np.int64)


def _make_plan(
    n_customers: int, n_orders: int, seed: int, constant_amount: float | None = None
) -> _Plan:
    """Draw the customer life cycles and the number of rows per customer.

    * ``created_at``: 15% before the order span (2020-2022), the rest spread
      over the span with a growing acquisition rate.
    * Activity window: the first order comes a few days after creation; 45% of
      customers churn after an exponential lifetime; 10% are prospects.
    * Orders: one per active customer plus a Poisson-like (multinomial) split
      of the rest of exactly ``n_orders`` with weight = lognormal rate x window
      length, i.e. a heavy-tailed mixed Poisson process.
    """
    rng = np.random.default_rng([seed, 0])
    n = n_customers
    is_business = rng.random(n) < BUSINESS_SHARE
    type_missing = rng.random(n) < TYPE_MISSING_SHARE

    pre = rng.random(n) < PRE_SPAN_SHARE
    u = rng.random(n)
    growth = 0.4  # acquisition rate at the end of the span is 1.4x the start
    t = (np.sqrt(1.0 + 2.0 * growth * u * (1.0 + growth / 2.0)) - 1.0) / growth
    span_lo, span_hi = ORDER_START_DAY * DAY, END_TS - 1
    pre_lo, pre_hi = PRE_SPAN_START_DAY * DAY, ORDER_START_DAY * DAY
    created = np.where(
        pre,
        pre_lo + np.floor(rng.random(n) * (pre_hi - pre_lo)),
        span_lo + np.floor(t * (span_hi - span_lo)),
    ).astype(np.int64)

    delay = rng.geometric(1.0 / 8.0, n).astype(np.int64) - 1
    start = np.maximum(created // DAY + 1 + delay, ORDER_START_DAY)
    churner = rng.random(n) < CHURNER_SHARE
    lifetime = (30.0 + rng.exponential(420.0, n)).astype(np.int64)
    end = np.where(churner, np.minimum(start + lifetime, ORDER_END_DAY), ORDER_END_DAY)
    prospect = rng.random(n) < PROSPECT_SHARE
    active = ~prospect & (end > start)
    rate = rng.lognormal(0.0, 0.75, n) * np.where(is_business, 1.3, 1.0)
    weight = np.where(active, rate * np.maximum(end - start, 0), 0.0)
    # Every active customer orders at least once (when there are enough orders),
    # so prospects stay at about PROSPECT_SHARE.
    floor = active.astype(np.int64) if n_orders >= int(active.sum()) else 0
    order_counts = floor + _spread(rng, n_orders - int(np.sum(floor)), weight)

    has_orders = order_counts > 0
    ticket_w = np.where(has_orders, (order_counts + 0.5) ** 0.8, 0.15)
    ticket_counts = _spread(rng, round(n_orders * TICKETS_PER_ORDER), ticket_w)
    survey_w = np.where(has_orders, order_counts.astype(np.float64) ** 0.6, 0.0)
    survey_counts = _spread(rng, round(n_orders * SURVEYS_PER_ORDER), survey_w)

    invoiceable = is_business & ~type_missing
    expected = ORDER_STATUS_P[0] * float(order_counts[invoiceable].sum())
    target = n_orders * RECEIVABLES_PER_ORDER
    invoice_prob = min(1.0, target / expected) if expected > 0 else 0.0

    return _Plan(
        n_customers=n,
        n_orders=n_orders,
        is_business=is_business,
        type_missing=type_missing,
        created_ts=created,
        start_day=start,
        end_day=end,
        order_counts=order_counts,
        ticket_counts=ticket_counts,
        survey_counts=survey_counts,
        invoice_prob=invoice_prob,
        constant_cents=None if constant_amount is None else round(constant_amount * 100),
    )


# --------------------------------------------------------------------------- #
# Chunk generation                                                             #
# --------------------------------------------------------------------------- #


@dataclass
class _Counters:
    """Number of rows written so far (the next id is ``value + 1``)."""

    orders: int = 0
    receivables: int = 0
    service_tickets: int = 0
    surveys: int = 0


_REGION_NAMES = _strings([r[0] for r in REGIONS])
_REGION_P = _probs([r[1] for r in REGIONS])
_CITY_COUNT = np.array([len(r[2]) for r in REGIONS], dtype=np.int64)
_CITY_OFFSET = _group_starts(_CITY_COUNT)
_CITY_LIST = [c for r in REGIONS for c in r[2]]
_CITY_NAMES = _strings(_CITY_LIST)
_CITY_SHORT = _strings([c.removesuffix("市") for c in _CITY_LIST])

_INDUSTRY_NAMES = _strings([i[0] for i in INDUSTRIES])
_INDUSTRY_P = _probs([i[1] for i in INDUSTRIES])
_INDWORD_COUNT = np.array([len(i[2]) for i in INDUSTRIES], dtype=np.int64)
_INDWORD_OFFSET = _group_starts(_INDWORD_COUNT)
_INDWORD_ZH = _strings([w[0] for i in INDUSTRIES for w in i[2]])
_INDWORD_PY = _strings([w[1] for i in INDUSTRIES for w in i[2]])

_SURNAME_ZH = _strings([s[0] for s in SURNAMES])
_SURNAME_PY = _strings([s[1] for s in SURNAMES])
_SURNAME_P = _probs([s[2] for s in SURNAMES])
_GIVEN_ZH = _strings([g[0] for g in GIVEN_NAMES])
_GIVEN_PY = _strings([g[1] for g in GIVEN_NAMES])
_EN_FIRST = _strings(EN_FIRST_NAMES)
_EN_FIRST_LC = _strings([n.lower() for n in EN_FIRST_NAMES])
_EN_LAST = _strings(EN_LAST_NAMES)
_EN_LAST_LC = _strings([n.lower() for n in EN_LAST_NAMES])
_BRAND_ZH = _strings([b[0] for b in BRANDS])
_BRAND_PY = _strings([b[1] for b in BRANDS])
_EN_WORD = _strings(EN_COMPANY_WORDS)
_EN_WORD_LC = _strings([w.lower() for w in EN_COMPANY_WORDS])
_EN_KIND = _strings(EN_COMPANY_KINDS)
_EN_KIND_LC = _strings([w.lower() for w in EN_COMPANY_KINDS])


@dataclass(frozen=True)
class _CustomerCtx:
    """Per-customer values of a chunk that later entities need."""

    ids: pa.Array
    acquisition: IntArray
    invoiceable: BoolArray
    price: FloatArray
    term: IntArray


def _customers_chunk(
    plan: _Plan, lo: int, hi: int, rng: np.random.Generator
) -> tuple[pa.Table, _CustomerCtx]:
    """Customer master rows ``lo..hi-1`` (0-based) of the plan."""
    m = hi - lo
    biz = plan.is_business[lo:hi]
    created = plan.created_ts[lo:hi]
    ids = _ids("customers", lo + 1, m, plan.id_total("customers"))

    region = rng.choice(len(REGIONS), size=m, p=_REGION_P)
    city = _CITY_OFFSET[region] + np.floor(rng.random(m) * _CITY_COUNT[region]).astype(np.int64)
    industry = _choice(rng, _INDUSTRY_P, m)
    acq = np.where(
        biz,
        _choice(rng, ACQUISITION_P_BUSINESS, m),
        _choice(rng, ACQUISITION_P_INDIVIDUAL, m),
    )

    # Names.
    u_en = rng.random(m)
    en_person = ~biz & (u_en < 0.15)
    en_company = biz & (u_en < 0.08)
    sur = _choice(rng, _SURNAME_P, m)
    given = rng.integers(0, len(GIVEN_NAMES), m)
    first = rng.integers(0, len(EN_FIRST_NAMES), m)
    last = rng.integers(0, len(EN_LAST_NAMES), m)
    brand = rng.integers(0, len(BRANDS), m)
    indword = _INDWORD_OFFSET[industry] + np.floor(rng.random(m) * _INDWORD_COUNT[industry]).astype(
        np.int64
    )
    cn_suffix = _choice(rng, CN_COMPANY_SUFFIX_P, m)
    en_word = rng.integers(0, len(EN_COMPANY_WORDS), m)
    en_kind = industry
    en_suffix = rng.integers(0, len(EN_COMPANY_SUFFIXES), m)

    cn_person_name = _concat(_take(_SURNAME_ZH, sur), _take(_GIVEN_ZH, given))
    en_person_name = _concat(_take(_EN_FIRST, first), " ", _take(_EN_LAST, last))
    cn_company_name = _concat(
        _take(_CITY_SHORT, city),
        _take(_BRAND_ZH, brand),
        _take(_INDWORD_ZH, indword),
        _take(_strings(CN_COMPANY_SUFFIXES), cn_suffix),
    )
    en_company_name = _concat(
        _take(_EN_WORD, en_word),
        " ",
        _take(_EN_KIND, en_kind),
        " ",
        _take(_strings(EN_COMPANY_SUFFIXES), en_suffix),
    )
    name = _select(
        biz,
        _select(en_company, en_company_name, cn_company_name),
        _select(en_person, en_person_name, cn_person_name),
    )

    # Contact data.
    digits = _select(
        rng.random(m) < 0.6,
        _int_str(rng.integers(1, 1000, m)),
        pa.scalar(""),
    )
    domain = _take(_strings(EMAIL_DOMAINS), _choice(rng, EMAIL_DOMAIN_P, m))
    pinyin_style = rng.random(m) < 0.5
    cn_local = _select(
        pinyin_style,
        _concat(_take(_GIVEN_PY, given), ".", _take(_SURNAME_PY, sur)),
        _concat(_take(_SURNAME_PY, sur), _take(_GIVEN_PY, given)),
    )
    cn_person_mail = _concat(cn_local, digits, "@", domain)
    en_person_mail = _concat(
        _take(_EN_FIRST_LC, first), ".", _take(_EN_LAST_LC, last), digits, "@", domain
    )
    mailbox = _take(_strings(BUSINESS_MAILBOXES), rng.integers(0, len(BUSINESS_MAILBOXES), m))
    tld = _take(_strings(BUSINESS_TLDS), rng.integers(0, len(BUSINESS_TLDS), m))
    cn_company_mail = _concat(
        mailbox, "@", _take(_BRAND_PY, brand), _take(_INDWORD_PY, indword), tld
    )
    en_company_mail = _concat(
        mailbox, "@", _take(_EN_WORD_LC, en_word), _take(_EN_KIND_LC, en_kind), ".com"
    )
    email = _select(
        biz,
        _select(en_company, en_company_mail, cn_company_mail),
        _select(en_person, en_person_mail, cn_person_mail),
    )
    phone = _concat(
        _take(_strings(PHONE_PREFIXES), rng.integers(0, len(PHONE_PREFIXES), m)),
        pc.utf8_lpad(_int_str(rng.integers(0, 100_000_000, m)), 8, "0"),
    )

    # Profile gaps.
    gap = rng.random(m)
    email = _null_where(email, gap < 0.08)  # 3% both + 5% email only
    phone = _null_where(phone, (gap < 0.03) | ((gap >= 0.08) & (gap < 0.10)))
    city_missing = rng.random(m) < 0.04
    industry_missing = ~biz | (rng.random(m) < 0.10)
    type_missing = plan.type_missing[lo:hi]

    # updated_at: ~15% of all customers last updated more than a year ago.
    eligible = created < STALE_CUTOFF_TS
    p_stale = min(1.0, STALE_SHARE * m / max(int(eligible.sum()), 1))
    stale = eligible & (rng.random(m) < p_stale)
    upd_lo = np.where(stale, created, np.maximum(created, STALE_CUTOFF_TS))
    upd_hi = np.where(stale, STALE_CUTOFF_TS, END_TS)
    updated = _uniform_int(rng, upd_lo, upd_hi)

    table = pa.Table.from_arrays(
        [
            ids,
            name,
            _null_where(_take(_strings(CUSTOMER_TYPES), biz.astype(np.int64)), type_missing),
            _take(_REGION_NAMES, region),
            _null_where(_take(_CITY_NAMES, city), city_missing),
            _null_where(_take(_INDUSTRY_NAMES, industry), industry_missing),
            _take(_strings(ACQUISITION_CHANNELS), acq),
            email,
            phone,
            _timestamps(created),
            _timestamps(updated),
        ],
        schema=SCHEMAS["customers"],
    )

    price = np.where(
        biz, rng.lognormal(math.log(160.0), 0.8, m), rng.lognormal(math.log(60.0), 0.7, m)
    )
    ctx = _CustomerCtx(
        ids=ids,
        acquisition=acq,
        invoiceable=biz & ~type_missing,
        price=price,
        term=np.asarray(PAYMENT_TERMS, dtype=np.int64)[_choice(rng, PAYMENT_TERM_P, m)],
    )
    return table, ctx


@dataclass(frozen=True)
class _OrderCtx:
    """Order values of a chunk needed by receivables, tickets and surveys."""

    cust: IntArray  # chunk-local customer index, rows sorted by time
    ts: IntArray
    amount: IntArray  # cents
    status: IntArray
    by_customer: IntArray  # row positions grouped by customer, time-sorted


def _orders_chunk(
    plan: _Plan,
    lo: int,
    hi: int,
    rng: np.random.Generator,
    cctx: _CustomerCtx,
    first_id: int,
) -> tuple[pa.Table, _OrderCtx]:
    """Orders of customers ``lo..hi-1``, sorted by ``ordered_at``."""
    counts = plan.order_counts[lo:hi]
    k = int(counts.sum())
    cust = np.repeat(np.arange(hi - lo, dtype=np.int64), counts)

    # Seasonal day inside each customer's activity window (inverse CDF).
    cdf = _order_day_cdf()
    s_idx = plan.start_day[lo:hi] - ORDER_START_DAY
    e_idx = plan.end_day[lo:hi] - ORDER_START_DAY
    active = counts > 0
    s_idx = np.where(active, s_idx, 0)
    e_idx = np.where(active, e_idx, 1)
    c_lo, c_hi = cdf[s_idx][cust], cdf[e_idx][cust]
    u = c_lo + rng.random(k) * (c_hi - c_lo)
    day = np.searchsorted(cdf, u, side="right").astype(np.int64) - 1
    day = np.clip(day, s_idx[cust], e_idx[cust] - 1)

    # Some customers order several times on one day.
    order = np.lexsort((day, cust))
    cust, day = cust[order], day[order]
    first_of_customer = np.ones(k, dtype=bool)
    first_of_customer[1:] = cust[1:] != cust[:-1]
    same_day = np.flatnonzero(~first_of_customer & (rng.random(k) < 0.06))
    if plan.constant_cents is None:
        day[same_day] = day[same_day - 1]
    else:
        day = _distinct_days(cust, day, counts, s_idx, e_idx)

    hour = rng.choice(24, size=k, p=_probs(_HOUR_WEIGHT))
    ts = (ORDER_START_DAY + day) * DAY + hour * 3600 + rng.integers(0, 3600, k)

    order = np.lexsort((cust, ts))
    cust, ts = cust[order], ts[order]

    biz = plan.is_business[lo:hi][cust]
    quantity = 1 + np.where(biz, rng.poisson(2.0, k), rng.poisson(0.7, k))
    noise = rng.lognormal(0.0, 0.25, k)
    amount = np.maximum(np.rint(cctx.price[cust] * quantity * noise * 100.0), 100).astype(np.int64)
    if plan.constant_cents is not None:
        amount = np.full(k, plan.constant_cents, dtype=np.int64)
    cost = np.rint(amount * rng.uniform(0.55, 0.75, k)).astype(np.int64)
    cost_valid = rng.random(k) >= 0.05
    status = _choice(rng, ORDER_STATUS_P, k)
    cum = np.cumsum(ORDER_CHANNEL_P, axis=1)[cctx.acquisition[cust]]
    channel = np.minimum((rng.random(k)[:, None] > cum).sum(axis=1), 3)

    table = pa.Table.from_arrays(
        [
            _ids("orders", first_id, k, plan.id_total("orders")),
            _take(cctx.ids, cust),
            _timestamps(ts),
            _take(_strings(ORDER_STATUSES), status),
            _ints(quantity),
            _decimal(amount),
            _decimal(cost, cost_valid),
            _take(_strings(ORDER_CHANNELS), channel),
        ],
        schema=SCHEMAS["orders"],
    )
    octx = _OrderCtx(
        cust=cust,
        ts=ts,
        amount=amount,
        status=status,
        by_customer=np.argsort(cust, kind="stable").astype(np.int64),
    )
    return table, octx


def _distinct_days(
    cust: IntArray, day: IntArray, counts: IntArray, start: IntArray, end: IntArray
) -> IntArray:
    """Move each customer's order days (sorted by customer, then day) the least needed to
    make them distinct within her window [start, end): every purchase day holds one
    order. A customer with more orders than days in her window keeps some shared days."""
    k = day.size
    position = np.arange(k) - np.repeat(np.cumsum(counts) - counts, counts)
    # days - position never decreases along a customer's distinct days; its running
    # maximum (per customer: offset by customer) pushes each day past the one before.
    offset = cust * (int(day.max(initial=0)) + k + 1)
    lifted = np.maximum.accumulate(day - position + offset) - offset
    # ... and no later than end - (orders after it) - 1, so the last stays in the window.
    latest = end[cust] - counts[cust]
    fits = counts[cust] <= end[cust] - start[cust]
    return np.where(fits, np.minimum(lifted, latest) + position, day)


def _receivables_chunk(
    plan: _Plan,
    rng: np.random.Generator,
    cctx: _CustomerCtx,
    octx: _OrderCtx,
    first_id: int,
) -> pa.Table:
    """Invoices for a random subset of completed orders of business customers.

    Overdue invoices (due before the reference date, not fully paid) are drawn
    with a probability that favours recent due dates and is scaled so that
    about ``OVERDUE_SHARE`` of all invoices are overdue.
    """
    k = octx.ts.size
    pick = cctx.invoiceable[octx.cust] & (octx.status == 0) & (rng.random(k) < plan.invoice_prob)
    rows = np.flatnonzero(pick)
    n = rows.size
    cust = octx.cust[rows]
    amount = octx.amount[rows]
    term = cctx.term[cust]
    issued = np.minimum(octx.ts[rows] // DAY + rng.integers(0, 4, n), REF_DAY - 1)
    due = issued + term

    due_passed = due < REF_DAY
    age = (REF_DAY - due).astype(np.float64)
    # Exactly round(OVERDUE_SHARE * n) overdue invoices among those already due,
    # favouring recent due dates (weighted sampling without replacement via
    # Efraimidis-Spirakis keys log(u) / w).
    w = np.where(due_passed, 0.25 + np.exp(-age / 120.0), 0.0)
    n_overdue = min(round(OVERDUE_SHARE * n), int(due_passed.sum()))
    keys = np.full(n, -np.inf)
    keys[due_passed] = np.log(rng.random(int(due_passed.sum()))) / w[due_passed]
    overdue = np.zeros(n, dtype=bool)
    if n_overdue > 0:
        overdue[np.argpartition(-keys, n_overdue - 1)[:n_overdue]] = True
    r = rng.random(n)
    not_due = ~due_passed
    full = (due_passed & ~overdue) | (not_due & (r < 0.40))
    partial = (overdue & (r < 0.40)) | (not_due & (r >= 0.40) & (r < 0.55))

    paid = np.where(
        full,
        amount,
        np.where(partial, np.rint(amount * rng.uniform(0.1, 0.9, n)), 0),
    ).astype(np.int64)
    late_factor = rng.uniform(0.2, 1.25, n)
    paid_day = np.where(
        due_passed,
        issued + np.rint(term * late_factor).astype(np.int64),
        _uniform_int(rng, issued, np.full(n, REF_DAY)),
    )
    paid_day = np.clip(paid_day, issued, REF_DAY - 1)

    order = np.argsort(issued, kind="stable")
    return pa.Table.from_arrays(
        [
            _ids("receivables", first_id, n, plan.id_total("receivables")),
            _take(cctx.ids, cust[order]),
            _dates(issued[order]),
            _dates(due[order]),
            _decimal(amount[order]),
            _decimal(paid[order]),
            _dates(paid_day[order], full[order]),
        ],
        schema=SCHEMAS["receivables"],
    )


def _pick_orders(
    rng: np.random.Generator, counts: IntArray, cust: IntArray, octx: _OrderCtx
) -> IntArray:
    """A random order row of each customer in ``cust`` (which must have orders)."""
    starts = _group_starts(counts)
    offs = np.floor(rng.random(cust.size) * counts[cust]).astype(np.int64)
    return octx.by_customer[starts[cust] + offs]


def _tickets_chunk(
    plan: _Plan,
    lo: int,
    hi: int,
    rng: np.random.Generator,
    cctx: _CustomerCtx,
    octx: _OrderCtx,
    first_id: int,
) -> tuple[pa.Table, BoolArray]:
    """Service tickets; returns the table and a per-customer complaint flag."""
    counts = plan.order_counts[lo:hi]
    tcounts = plan.ticket_counts[lo:hi]
    n = int(tcounts.sum())
    cust = np.repeat(np.arange(hi - lo, dtype=np.int64), tcounts)
    buyer = counts[cust] > 0

    # Buyers open tickets within 45 days after one of their orders; prospects
    # at any time after their creation.
    buyers = np.flatnonzero(buyer)
    base = np.zeros(n, dtype=np.int64)
    base[buyers] = octx.ts[_pick_orders(rng, counts, cust[buyers], octx)]
    room = np.minimum(45 * DAY, END_TS - 1 - base)
    created = plan.created_ts[lo:hi][cust]
    opened = np.where(
        buyer,
        base + np.floor(rng.random(n) ** 1.5 * room).astype(np.int64),
        _uniform_int(rng, created, np.full(n, END_TS)),
    )
    ttype = np.where(buyer, _choice(rng, TICKET_TYPE_P, n), _choice(rng, TICKET_TYPE_P_PROSPECT, n))
    duration = rng.lognormal(math.log(6 * 3600), 1.3, n) * np.where(ttype == 3, 4.0, 1.0)
    closed = opened + np.rint(duration).astype(np.int64)
    is_closed = (closed < END_TS) & (rng.random(n) >= 0.045)
    minutes = rng.lognormal(math.log(20.0), 0.8, n) * TICKET_MINUTES_FACTOR[ttype]
    minutes_cents = np.rint(minutes * 100).astype(np.int64)

    order = np.lexsort((cust, opened))
    cust, opened, closed, is_closed = cust[order], opened[order], closed[order], is_closed[order]
    ttype, minutes_cents = ttype[order], minutes_cents[order]
    complained = np.bincount(cust[ttype == 0], minlength=hi - lo) > 0

    table = pa.Table.from_arrays(
        [
            _ids("service_tickets", first_id, n, plan.id_total("service_tickets")),
            _take(cctx.ids, cust),
            _timestamps(opened),
            _timestamps(closed, is_closed),
            _take(_strings(TICKET_TYPES), ttype),
            _decimal(minutes_cents),
        ],
        schema=SCHEMAS["service_tickets"],
    )
    return table, complained


def _surveys_chunk(
    plan: _Plan,
    lo: int,
    hi: int,
    rng: np.random.Generator,
    cctx: _CustomerCtx,
    octx: _OrderCtx,
    complained: BoolArray,
    first_id: int,
) -> pa.Table:
    """Survey responses within two weeks after one of the customer's orders."""
    counts = plan.order_counts[lo:hi]
    scounts = plan.survey_counts[lo:hi]
    n = int(scounts.sum())
    cust = np.repeat(np.arange(hi - lo, dtype=np.int64), scounts)
    base = octx.ts[_pick_orders(rng, counts, cust, octx)]
    room = np.minimum(14 * DAY, END_TS - 1 - base)
    responded = base + np.floor(rng.random(n) * room).astype(np.int64)

    expectation = np.clip(np.rint(rng.normal(7.5, 1.5, n)), 1, 10)
    penalty = np.where(complained[cust], 1.5, 0.0)
    perception = np.clip(np.rint(expectation + rng.normal(-0.4, 1.6, n) - penalty), 1, 10)
    recommend = np.clip(np.rint(perception + rng.normal(0.0, 1.3, n)), 0, 10)
    recommend_valid = rng.random(n) >= 0.10

    order = np.lexsort((cust, responded))
    return pa.Table.from_arrays(
        [
            _ids("surveys", first_id, n, plan.id_total("surveys")),
            _take(cctx.ids, cust[order]),
            _timestamps(responded[order]),
            _ints(expectation[order].astype(np.int64)),
            _ints(perception[order].astype(np.int64)),
            _ints(recommend[order].astype(np.int64), recommend_valid[order]),
        ],
        schema=SCHEMAS["surveys"],
    )


def _generate_chunk(
    plan: _Plan, lo: int, hi: int, seed: int, chunk: int, counters: _Counters
) -> dict[str, pa.Table]:
    """All five entities for customers ``lo..hi-1``; advances ``counters``."""
    rng = np.random.default_rng([seed, 1, chunk])
    customers, cctx = _customers_chunk(plan, lo, hi, rng)
    orders, octx = _orders_chunk(plan, lo, hi, rng, cctx, counters.orders + 1)
    counters.orders += orders.num_rows
    receivables = _receivables_chunk(plan, rng, cctx, octx, counters.receivables + 1)
    counters.receivables += receivables.num_rows
    tickets, complained = _tickets_chunk(
        plan, lo, hi, rng, cctx, octx, counters.service_tickets + 1
    )
    counters.service_tickets += tickets.num_rows
    surveys = _surveys_chunk(plan, lo, hi, rng, cctx, octx, complained, counters.surveys + 1)
    counters.surveys += surveys.num_rows
    return {
        "customers": customers,
        "orders": orders,
        "receivables": receivables,
        "service_tickets": tickets,
        "surveys": surveys,
    }


# --------------------------------------------------------------------------- #
# Anomalies                                                                    #
# --------------------------------------------------------------------------- #

Row = dict[str, Any]
Overrides = list[tuple[str, int, str]]  # (column, row index, CSV text)


@dataclass
class _AnomalyBuilder:
    """Collects anomaly rows of one entity and their documentation."""

    entity: str
    extra: list[Row]
    report: dict[str, dict[str, Any]]
    csv_text: dict[int, tuple[str, str]]  # extra row index -> (column, text)

    def add(self, kind: str, rows: list[Row], ids: list[str], file_rows: int | None = None) -> None:
        """Append ``rows`` (already modified) as anomaly ``kind``.

        ``file_rows`` is the number of rows of the file that belong to the
        anomaly (default: the appended rows; e.g. 4 for two conflicting order
        duplicates, which involve the two original rows too).
        """
        if not rows:
            return
        _, is_error, description = ANOMALY_KINDS[self.entity][kind]
        self.report[kind] = {
            "rows": len(rows) if file_rows is None else file_rows,
            "ids": ids,
            "is_error": is_error,
            "description": description,
        }
        self.extra.extend(rows)


def _sample(rng: np.random.Generator, candidates: IntArray, size: int) -> list[int]:
    """Up to ``size`` distinct, seed-determined picks from ``candidates``."""
    size = min(size, candidates.size)
    if size == 0:
        return []
    return [int(i) for i in np.sort(rng.choice(candidates, size=size, replace=False))]


def _rows(table: pa.Table, idx: list[int]) -> list[Row]:
    """Python dict copies of the rows at ``idx``."""
    if not idx:
        return []
    return table.take(pa.array(idx, type=pa.int64())).to_pylist()


def _customer_anomalies(
    table: pa.Table, rng: np.random.Generator, plan: _Plan, b: _AnomalyBuilder
) -> None:
    """Customer duplicates, versions and invalid rows."""
    n = table.num_rows
    all_rows = np.arange(n, dtype=np.int64)
    created = table["created_at"].to_numpy().astype("datetime64[s]").astype(np.int64)
    updated = table["updated_at"].to_numpy().astype("datetime64[s]").astype(np.int64)
    region_of = pc.index_in(table["region"], value_set=_REGION_NAMES)
    region_idx = pc.fill_null(region_of, 0).to_numpy().astype(np.int64)
    has_city = pc.is_valid(table["city"]).to_numpy(zero_copy_only=False)
    multi_city = has_city & (_CITY_COUNT[region_idx] > 1)
    region_pos = {r[0]: i for i, r in enumerate(REGIONS)}
    eligible = np.flatnonzero(multi_city & (updated - created >= 2 * DAY))
    versioned = _sample(rng, eligible, 10)
    rest = np.setdiff1d(all_rows, np.asarray(versioned, dtype=np.int64))
    duplicated = _sample(rng, rest, 5)

    rows = _rows(table, duplicated)
    b.add("exact_duplicate", rows, [r["customer_id"] for r in rows])

    rows = _rows(table, versioned)
    for r, i in zip(rows, versioned, strict=True):
        cities = REGIONS[region_pos[r["region"]]][2]
        others = [c for c in cities if c != r["city"]]
        r["city"] = others[int(rng.integers(0, len(others)))]
        frac = float(rng.uniform(0.2, 0.8))
        r["updated_at"] = _dt(int(created[i] + frac * (updated[i] - created[i])))
    b.add("older_version", rows, [r["customer_id"] for r in rows])

    new_id = plan.n_customers
    bases = _rows(table, _sample(rng, all_rows, 4))
    if len(bases) == 4:
        new_id += 1
        cid = _id_str("customers", new_id, plan.id_total("customers"))
        first = dict(bases[0], customer_id=cid)
        second = dict(first)
        second["phone"] = f"139{int(rng.integers(0, 100_000_000)):08d}"
        second["email"] = f"new.{cid.lower()}@163.com"
        b.add("conflicting_version", [first, second], [cid], file_rows=2)

        ids = []
        rows = []
        for base in bases[1:3]:
            new_id += 1
            cid = _id_str("customers", new_id, plan.id_total("customers"))
            lag = timedelta(days=int(rng.integers(1, 400)))
            rows.append(dict(base, customer_id=cid, updated_at=base["created_at"] - lag))
            ids.append(cid)
        b.add("updated_before_created", rows, ids)

        new_id += 1
        cid = _id_str("customers", new_id, plan.id_total("customers"))
        b.add(
            "invalid_customer_type", [dict(bases[3], customer_id=cid, customer_type="vip")], [cid]
        )


def _dt(seconds: int) -> datetime:
    """Naive datetime from epoch seconds."""
    return datetime(1970, 1, 1) + timedelta(seconds=seconds)


def _order_anomalies(
    table: pa.Table,
    rng: np.random.Generator,
    plan: _Plan,
    counters: _Counters,
    fmt: str,
    b: _AnomalyBuilder,
) -> None:
    """Order duplicates, orphans and invalid values (new ids continue the sequence)."""
    n = table.num_rows
    picks = _sample(rng, np.arange(n, dtype=np.int64), 8 + 2 + 8)
    if len(picks) < 18:
        return
    picks = [picks[i] for i in rng.permutation(len(picks))]
    total = plan.id_total("orders")
    next_id = counters.orders

    def fresh(row: Row) -> Row:
        nonlocal next_id
        next_id += 1
        return dict(row, order_id=_id_str("orders", next_id, total))

    rows = _rows(table, picks[:8])
    b.add("exact_duplicate", rows, [r["order_id"] for r in rows])

    rows = _rows(table, picks[8:10])
    for r in rows:
        r["amount"] = (r["amount"] * Decimal("1.3") + Decimal("1.00")).quantize(Decimal("0.01"))
    b.add("conflicting_duplicate", rows, [r["order_id"] for r in rows], 2 * len(rows))

    src = _rows(table, picks[10:])
    rows = [fresh(dict(r, customer_id=f"C{9_999_999 - j}X")) for j, r in enumerate(src[0:3])]
    b.add("orphan_customer", rows, [r["order_id"] for r in rows])

    rows = [fresh(dict(r, amount=-r["amount"])) for r in src[3:5]]
    b.add("negative_amount", rows, [r["order_id"] for r in rows])

    rows = [fresh(dict(src[5], status="shipped"))]
    b.add("invalid_status", rows, [rows[0]["order_id"]])

    if fmt == "csv":
        row = fresh(dict(src[6], amount=Decimal("12.50")))
        b.csv_text[len(b.extra)] = ("amount", "12,50")
        b.add("unparseable_amount", [row], [row["order_id"]])
    else:
        row = fresh(dict(src[6], quantity=-int(src[6]["quantity"])))
        b.add("negative_quantity", [row], [row["order_id"]])

    when: datetime = src[7]["ordered_at"]
    future = when.replace(year=2099, day=min(when.day, 28))  # 2099 has no Feb 29
    row = fresh(dict(src[7], ordered_at=future))
    b.add("future_ordered_at", [row], [row["order_id"]])


def _simple_anomalies(
    entity: str,
    table: pa.Table,
    rng: np.random.Generator,
    plan: _Plan,
    first_new: int,
    b: _AnomalyBuilder,
) -> None:
    """Anomalies of receivables, service tickets and surveys."""
    picks = _sample(rng, np.arange(table.num_rows, dtype=np.int64), 2)
    if len(picks) < 2:
        return
    first, second = _rows(table, picks)
    key = SCHEMAS[entity].names[0]
    total = plan.id_total(entity)

    def new_id(offset: int) -> str:
        return _id_str(entity, first_new + offset, total)

    if entity == "receivables":
        amount = first["amount"]
        paid_at = first["issued_at"] + timedelta(days=20)
        row = dict(
            first,
            invoice_id=new_id(0),
            paid_amount=amount + Decimal("25.00"),
            paid_at=min(paid_at, REFERENCE_DATE - timedelta(days=1)),
        )
        b.add("paid_exceeds_amount", [row], [row[key]])
        row = dict(second, invoice_id=new_id(1), due_at=second["issued_at"] - timedelta(days=15))
        b.add("due_before_issued", [row], [row[key]])
    elif entity == "service_tickets":
        row = dict(first, ticket_id=new_id(0), closed_at=first["opened_at"] - timedelta(hours=2))
        b.add("closed_before_opened", [row], [row[key]])
        row = dict(second, ticket_id=new_id(1), ticket_type="praise")
        b.add("invalid_ticket_type", [row], [row[key]])
    else:
        row = dict(first, response_id=new_id(0), expectation_score=11)
        b.add("score_out_of_range", [row], [row[key]])
        b.add("exact_duplicate", [second], [second[key]])


def _interleave(
    clean: pa.Table, extra: pa.Table, rng: np.random.Generator
) -> tuple[pa.Table, IntArray]:
    """Insert ``extra`` rows at seed-determined positions of ``clean``.

    Returns the combined table and the final row index of every extra row.
    """
    n, k = clean.num_rows, extra.num_rows
    pos = rng.integers(0, n + 1, k)
    keys = np.concatenate([2 * np.arange(n, dtype=np.int64) + 1, 2 * pos])
    order = np.argsort(keys, kind="stable")
    combined = pa.concat_tables([clean, extra]).take(pa.array(order))
    where = np.empty(n + k, dtype=np.int64)
    where[order] = np.arange(n + k)
    return combined, where[n:]


def _inject_anomalies(
    tables: dict[str, pa.Table],
    plan: _Plan,
    counters: _Counters,
    seed: int,
    fmt: str,
) -> tuple[dict[str, pa.Table], dict[str, Overrides], dict[str, dict[str, Any]]]:
    """Interleave the documented anomaly rows into the (last) chunk's tables."""
    rng = np.random.default_rng([seed, 2])
    builders = {e: _AnomalyBuilder(entity=e, extra=[], report={}, csv_text={}) for e in ENTITIES}
    _customer_anomalies(tables["customers"], rng, plan, builders["customers"])
    _order_anomalies(tables["orders"], rng, plan, counters, fmt, builders["orders"])
    for entity in ("receivables", "service_tickets", "surveys"):
        first_new = getattr(counters, entity) + 1
        _simple_anomalies(entity, tables[entity], rng, plan, first_new, builders[entity])

    out: dict[str, pa.Table] = {}
    overrides: dict[str, Overrides] = {}
    reports: dict[str, dict[str, Any]] = {}
    for entity, b in builders.items():
        clean = tables[entity]
        if b.extra:
            extra = pa.Table.from_pylist(b.extra, schema=SCHEMAS[entity])
            out[entity], where = _interleave(clean, extra, rng)
        else:
            out[entity], where = clean, np.empty(0, dtype=np.int64)
        overrides[entity] = [(col, int(where[i]), text) for i, (col, text) in b.csv_text.items()]
        reports[entity] = {"extra_rows": len(b.extra), "anomalies": b.report}
    return out, overrides, reports


# --------------------------------------------------------------------------- #
# Writers                                                                      #
# --------------------------------------------------------------------------- #

_NEEDS_QUOTES = r'[",\r\n]'


def _csv_column(col: pa.Array, quote: bool) -> pa.Array:
    """Render one column as CSV text (null stays null, i.e. an empty field)."""
    text = col if pa.types.is_string(col.type) else pc.cast(col, pa.string())
    if quote:
        quoted = _concat('"', pc.replace_substring(text, '"', '""'), '"')
        needs = pc.fill_null(pc.match_substring_regex(text, _NEEDS_QUOTES), False)
        text = pc.if_else(needs, quoted, text)
    return text


def _csv_bytes(table: pa.Table, overrides: Overrides) -> memoryview | bytes:
    """Render a table as CSV lines (no header) in one vectorised pass."""
    if table.num_rows == 0:
        return b""
    table = table.combine_chunks()
    cols: list[pa.Array] = []
    for name in table.column_names:
        col = table[name].chunk(0) if table[name].num_chunks else table[name]
        col = pc.cast(col, pa.string()) if not pa.types.is_string(col.type) else col
        override = [(i, t) for c, i, t in overrides if c == name]
        for i, text in override:
            mask = np.zeros(table.num_rows, dtype=bool)
            mask[i] = True
            col = pc.if_else(pa.array(mask), pa.scalar(text), col)
        quote = pa.types.is_string(table.schema.field(name).type) or bool(override)
        cols.append(_csv_column(col, quote))
    lines = pc.binary_join_element_wise(*cols, ",", null_handling="replace", null_replacement="")
    lines = pc.binary_join_element_wise(lines, "", "\n")
    if isinstance(lines, pa.ChunkedArray):
        lines = lines.combine_chunks()
    offsets = np.frombuffer(
        lines.buffers()[1], dtype=np.int32, count=len(lines) + 1, offset=lines.offset * 4
    )
    return memoryview(lines.buffers()[2])[int(offsets[0]) : int(offsets[-1])]


class _Sink:
    """Writes one entity to ``<out>/<entity>.<fmt>`` via a temporary file."""

    def __init__(self, out_dir: Path, entity: str, fmt: str) -> None:
        """Open the temporary output file and write the CSV header."""
        self.entity = entity
        self.fmt = fmt
        self.path = out_dir / f"{entity}.{fmt}"
        self.tmp = out_dir / f".{entity}.{fmt}.tmp"
        self.rows = 0
        self._buffer: list[pa.Table] = []
        self._buffered = 0
        schema = SCHEMAS[entity]
        self._file: BinaryIO | None = None
        self._writer: pq.ParquetWriter | None = None
        if fmt == "csv":
            self._file = open(self.tmp, "wb")  # noqa: SIM115 - closed in close()/abort()
            self._file.write((",".join(schema.names) + "\n").encode("utf-8"))
        else:
            self._parquet_schema = pa.schema(
                [
                    pa.field(f.name, pa.timestamp("us")) if pa.types.is_timestamp(f.type) else f
                    for f in schema
                ]
            )
            self._writer = pq.ParquetWriter(self.tmp, self._parquet_schema, compression="zstd")

    def write(self, table: pa.Table, overrides: Overrides | None = None) -> None:
        """Append a chunk (CSV: immediately; Parquet: buffered to ~1M-row groups)."""
        self.rows += table.num_rows
        if self._file is not None:
            self._file.write(_csv_bytes(table, overrides or []))
            return
        self._buffer.append(table.cast(self._parquet_schema))
        self._buffered += table.num_rows
        if self._buffered >= ROW_GROUP_ROWS:
            self._flush(final=False)

    def _flush(self, final: bool) -> None:
        """Write buffered rows as full ``ROW_GROUP_ROWS`` groups (all rows if final)."""
        if self._writer is None or not self._buffer:
            return
        merged = pa.concat_tables(self._buffer)
        full = merged.num_rows if final else merged.num_rows // ROW_GROUP_ROWS * ROW_GROUP_ROWS
        for start in range(0, full, ROW_GROUP_ROWS):
            part = merged.slice(start, min(ROW_GROUP_ROWS, full - start))
            self._writer.write_table(part, row_group_size=ROW_GROUP_ROWS)
        rest = merged.slice(full)
        self._buffer = [rest] if rest.num_rows else []
        self._buffered = rest.num_rows

    def close(self) -> None:
        """Finish the file and move it into place."""
        if self._file is not None:
            self._file.close()
        else:
            self._flush(final=True)
            if self._writer is not None:
                self._writer.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        """Close and delete the temporary file after a failure."""
        if self._file is not None:
            self._file.close()
        if self._writer is not None:
            self._writer.close()
        self.tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------- #
# Public API                                                                   #
# --------------------------------------------------------------------------- #


def generate(
    out_dir: str | os.PathLike[str],
    fmt: str = "csv",
    n_customers: int = 2000,
    n_orders: int = 30000,
    seed: int = 42,
    anomalies: bool = True,
    constant_amount: float | None = None,
) -> dict[str, Any]:
    """Generate the five entity files (and ``_anomalies.json``) into ``out_dir``.

    Args:
        out_dir: Output folder (created if missing). Files of the other format
            for the same entities are removed so readers see one source each.
        fmt: ``"csv"`` or ``"parquet"``.
        n_customers: Number of distinct clean customers.
        n_orders: Exact number of clean orders.
        seed: Random seed; identical arguments give byte-identical files.
        anomalies: Interleave the documented contract-breaking rows.
        constant_amount: Every order costs this, and a customer orders at most once a
            day, so every purchase day of every customer has the same value: the shape
            of identical spend for everyone (the CLV model's order-value limit). None
            (default): amounts drawn per customer and order.

    Returns:
        A summary with the row count of every file, the file paths and the
        anomaly report that is also written to ``_anomalies.json``.
    """
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', not {fmt!r}")
    if n_customers < 1 or n_orders < 0 or seed < 0:
        raise ValueError("need n_customers >= 1, n_orders >= 0 and seed >= 0")
    if constant_amount is not None and not 0.01 <= constant_amount <= 1e9:
        raise ValueError("constant_amount must be between 0.01 and 1e9")
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    other = "parquet" if fmt == "csv" else "csv"
    for entity in ENTITIES:
        (out / f"{entity}.{other}").unlink(missing_ok=True)

    plan = _make_plan(n_customers, n_orders, seed, constant_amount)
    counters = _Counters()
    sinks = {entity: _Sink(out, entity, fmt) for entity in ENTITIES}
    n_chunks = max(1, math.ceil(n_customers / CHUNK_CUSTOMERS))
    clean_rows = dict.fromkeys(ENTITIES, 0)
    reports: dict[str, dict[str, Any]] = {}
    try:
        for chunk in range(n_chunks):
            # Equal-sized chunks, so the last one (which hosts the anomalies) is big.
            lo = chunk * n_customers // n_chunks
            hi = (chunk + 1) * n_customers // n_chunks
            tables = _generate_chunk(plan, lo, hi, seed, chunk, counters)
            for entity, table in tables.items():
                clean_rows[entity] += table.num_rows
            overrides: dict[str, Overrides] = {}
            if anomalies and chunk == n_chunks - 1:
                tables, overrides, reports = _inject_anomalies(tables, plan, counters, seed, fmt)
            for entity, table in tables.items():
                sinks[entity].write(table, overrides.get(entity))
            del tables
    except BaseException:
        for sink in sinks.values():
            sink.abort()
        raise
    for sink in sinks.values():
        sink.close()

    entities_report: dict[str, Any] = {}
    for entity in ENTITIES:
        rep = reports.get(entity, {"extra_rows": 0, "anomalies": {}})
        entities_report[entity] = {
            "file": f"{entity}.{fmt}",
            "clean_rows": clean_rows[entity],
            "extra_rows": rep["extra_rows"],
            "total_rows": sinks[entity].rows,
            "anomalies": rep["anomalies"],
        }
    report = {
        "generator": "crm_value.generate",
        "reference_date": REFERENCE_DATE.isoformat(),
        "seed": seed,
        "format": fmt,
        "customers": n_customers,
        "orders": n_orders,
        "anomalies_enabled": anomalies,
        **({} if constant_amount is None else {"constant_amount": constant_amount}),
        "entities": entities_report,
    }
    (out / "_anomalies.json").write_text(
        json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return {
        "out_dir": str(out),
        "format": fmt,
        "seed": seed,
        "rows": {e: sinks[e].rows for e in ENTITIES},
        "files": {e: str(sinks[e].path) for e in ENTITIES},
        "anomalies": report,
        "seconds": round(time.perf_counter() - started, 2),
    }


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m crm_value.generate",
        description="Generate deterministic synthetic CRM data (five entities).",
    )
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--orders", type=int, default=30000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--anomalies",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="interleave the documented contract-breaking rows (default: on)",
    )
    parser.add_argument(
        "--constant-amount",
        type=float,
        default=None,
        metavar="AMOUNT",
        help="every order costs AMOUNT and a customer orders at most once a day: every "
        "customer spends alike (default: amounts drawn)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    args = _parse_args(argv)
    result = generate(
        out_dir=args.out,
        fmt=args.format,
        n_customers=args.customers,
        n_orders=args.orders,
        seed=args.seed,
        anomalies=args.anomalies,
        constant_amount=args.constant_amount,
    )
    rows = ", ".join(f"{e}={n}" for e, n in result["rows"].items())
    print(f"wrote {result['format']} to {result['out_dir']} in {result['seconds']}s: {rows}")


if __name__ == "__main__":
    main()
