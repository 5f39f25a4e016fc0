"""The five entities of one chunk of customers: customers, orders, receivables, service
tickets and surveys, each drawn from the plan and the entities before it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from crm_value.generate.arrays import (
    BoolArray,
    FloatArray,
    IntArray,
    _choice,
    _concat,
    _dates,
    _decimal,
    _group_starts,
    _ids,
    _int_str,
    _ints,
    _null_where,
    _probs,
    _select,
    _strings,
    _take,
    _timestamps,
    _uniform_int,
)
from crm_value.generate.plan import _Counters, _order_day_cdf, _Plan
from crm_value.generate.reference import (
    _HOUR_WEIGHT,
    ACQUISITION_CHANNELS,
    ACQUISITION_P_BUSINESS,
    ACQUISITION_P_INDIVIDUAL,
    BRANDS,
    BUSINESS_MAILBOXES,
    BUSINESS_TLDS,
    CN_COMPANY_SUFFIX_P,
    CN_COMPANY_SUFFIXES,
    CUSTOMER_TYPES,
    DAY,
    EMAIL_DOMAIN_P,
    EMAIL_DOMAINS,
    EN_COMPANY_KINDS,
    EN_COMPANY_SUFFIXES,
    EN_COMPANY_WORDS,
    EN_FIRST_NAMES,
    EN_LAST_NAMES,
    END_TS,
    GIVEN_NAMES,
    INDUSTRIES,
    ORDER_CHANNEL_P,
    ORDER_CHANNELS,
    ORDER_START_DAY,
    ORDER_STATUS_P,
    ORDER_STATUSES,
    OVERDUE_SHARE,
    PAYMENT_TERM_P,
    PAYMENT_TERMS,
    PHONE_PREFIXES,
    REF_DAY,
    REGIONS,
    SCHEMAS,
    STALE_CUTOFF_TS,
    STALE_SHARE,
    SURNAMES,
    TICKET_MINUTES_FACTOR,
    TICKET_TYPE_P,
    TICKET_TYPE_P_PROSPECT,
    TICKET_TYPES,
)

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


@dataclass(frozen=True)
class _NameDraws:
    """The drawn parts of every customer's name, which her email reuses."""

    en_person: BoolArray
    en_company: BoolArray
    surname: IntArray
    given: IntArray
    first: IntArray
    last: IntArray
    brand: IntArray
    indword: IntArray
    cn_suffix: IntArray
    en_word: IntArray
    en_kind: IntArray
    en_suffix: IntArray


def _customers_chunk(
    plan: _Plan, lo: int, hi: int, rng: np.random.Generator
) -> tuple[pa.Table, _CustomerCtx]:
    """Customer master rows ``lo..hi-1`` (0-based) of the plan.

    The helpers draw from ``rng`` in a fixed order (place, name, contact data, gaps,
    updated_at, price, payment term): reordering them changes every file.
    """
    m = hi - lo
    biz = plan.is_business[lo:hi]
    created = plan.created_ts[lo:hi]
    ids = _ids("customers", lo + 1, m, plan.id_total("customers"))
    region, city, industry, acq = _customer_places(rng, biz, m)
    draws = _name_draws(rng, biz, industry, m)
    name = _customer_names(biz, draws, city)
    email, phone = _customer_contacts(rng, biz, draws, m)

    # Profile gaps.
    gap = rng.random(m)
    email = _null_where(email, gap < 0.08)  # 3% both + 5% email only
    phone = _null_where(phone, (gap < 0.03) | ((gap >= 0.08) & (gap < 0.10)))
    city_missing = rng.random(m) < 0.04
    industry_missing = ~biz | (rng.random(m) < 0.10)
    type_missing = plan.type_missing[lo:hi]
    updated = _updated_at(rng, created, m)

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


def _customer_places(
    rng: np.random.Generator, biz: BoolArray, m: int
) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Region, city, industry and acquisition channel (indices) of ``m`` customers."""
    region = rng.choice(len(REGIONS), size=m, p=_REGION_P)
    city = _CITY_OFFSET[region] + np.floor(rng.random(m) * _CITY_COUNT[region]).astype(np.int64)
    industry = _choice(rng, _INDUSTRY_P, m)
    acq = np.where(
        biz,
        _choice(rng, ACQUISITION_P_BUSINESS, m),
        _choice(rng, ACQUISITION_P_INDIVIDUAL, m),
    )
    return region, city, industry, acq


def _name_draws(rng: np.random.Generator, biz: BoolArray, industry: IntArray, m: int) -> _NameDraws:
    """Draw the parts of every name: a person's (Chinese or English) or a company's."""
    u_en = rng.random(m)
    en_person = ~biz & (u_en < 0.15)
    en_company = biz & (u_en < 0.08)
    surname = _choice(rng, _SURNAME_P, m)
    given = rng.integers(0, len(GIVEN_NAMES), m)
    first = rng.integers(0, len(EN_FIRST_NAMES), m)
    last = rng.integers(0, len(EN_LAST_NAMES), m)
    brand = rng.integers(0, len(BRANDS), m)
    indword = _INDWORD_OFFSET[industry] + np.floor(rng.random(m) * _INDWORD_COUNT[industry]).astype(
        np.int64
    )
    return _NameDraws(
        en_person=en_person,
        en_company=en_company,
        surname=surname,
        given=given,
        first=first,
        last=last,
        brand=brand,
        indword=indword,
        cn_suffix=_choice(rng, CN_COMPANY_SUFFIX_P, m),
        en_word=rng.integers(0, len(EN_COMPANY_WORDS), m),
        en_kind=industry,
        en_suffix=rng.integers(0, len(EN_COMPANY_SUFFIXES), m),
    )


def _customer_names(biz: BoolArray, d: _NameDraws, city: IntArray) -> pa.Array:
    """Every customer's name from her drawn parts (no draws)."""
    cn_person_name = _concat(_take(_SURNAME_ZH, d.surname), _take(_GIVEN_ZH, d.given))
    en_person_name = _concat(_take(_EN_FIRST, d.first), " ", _take(_EN_LAST, d.last))
    cn_company_name = _concat(
        _take(_CITY_SHORT, city),
        _take(_BRAND_ZH, d.brand),
        _take(_INDWORD_ZH, d.indword),
        _take(_strings(CN_COMPANY_SUFFIXES), d.cn_suffix),
    )
    en_company_name = _concat(
        _take(_EN_WORD, d.en_word),
        " ",
        _take(_EN_KIND, d.en_kind),
        " ",
        _take(_strings(EN_COMPANY_SUFFIXES), d.en_suffix),
    )
    return _select(
        biz,
        _select(d.en_company, en_company_name, cn_company_name),
        _select(d.en_person, en_person_name, cn_person_name),
    )


def _customer_contacts(
    rng: np.random.Generator, biz: BoolArray, d: _NameDraws, m: int
) -> tuple[pa.Array, pa.Array]:
    """Email (built from the name's parts) and mobile phone of every customer."""
    digits = _select(
        rng.random(m) < 0.6,
        _int_str(rng.integers(1, 1000, m)),
        pa.scalar(""),
    )
    domain = _take(_strings(EMAIL_DOMAINS), _choice(rng, EMAIL_DOMAIN_P, m))
    pinyin_style = rng.random(m) < 0.5
    cn_local = _select(
        pinyin_style,
        _concat(_take(_GIVEN_PY, d.given), ".", _take(_SURNAME_PY, d.surname)),
        _concat(_take(_SURNAME_PY, d.surname), _take(_GIVEN_PY, d.given)),
    )
    cn_person_mail = _concat(cn_local, digits, "@", domain)
    en_person_mail = _concat(
        _take(_EN_FIRST_LC, d.first), ".", _take(_EN_LAST_LC, d.last), digits, "@", domain
    )
    mailbox = _take(_strings(BUSINESS_MAILBOXES), rng.integers(0, len(BUSINESS_MAILBOXES), m))
    tld = _take(_strings(BUSINESS_TLDS), rng.integers(0, len(BUSINESS_TLDS), m))
    cn_company_mail = _concat(
        mailbox, "@", _take(_BRAND_PY, d.brand), _take(_INDWORD_PY, d.indword), tld
    )
    en_company_mail = _concat(
        mailbox, "@", _take(_EN_WORD_LC, d.en_word), _take(_EN_KIND_LC, d.en_kind), ".com"
    )
    email = _select(
        biz,
        _select(d.en_company, en_company_mail, cn_company_mail),
        _select(d.en_person, en_person_mail, cn_person_mail),
    )
    phone = _concat(
        _take(_strings(PHONE_PREFIXES), rng.integers(0, len(PHONE_PREFIXES), m)),
        pc.utf8_lpad(_int_str(rng.integers(0, 100_000_000, m)), 8, "0"),
    )
    return email, phone


def _updated_at(rng: np.random.Generator, created: IntArray, m: int) -> IntArray:
    """updated_at: ~15% of all customers last updated more than a year ago."""
    eligible = created < STALE_CUTOFF_TS
    p_stale = min(1.0, STALE_SHARE * m / max(int(eligible.sum()), 1))
    stale = eligible & (rng.random(m) < p_stale)
    upd_lo = np.where(stale, created, np.maximum(created, STALE_CUTOFF_TS))
    upd_hi = np.where(stale, STALE_CUTOFF_TS, END_TS)
    return _uniform_int(rng, upd_lo, upd_hi)


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
    cust, ts = _order_times(plan, lo, hi, rng)
    k = ts.size

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


def _order_times(
    plan: _Plan, lo: int, hi: int, rng: np.random.Generator
) -> tuple[IntArray, IntArray]:
    """Every order's chunk-local customer and epoch second, sorted by time: a seasonal day
    inside the customer's activity window, some on the day of her order before."""
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
    return cust, ts


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
    overdue = _overdue(rng, due, due_passed)
    paid, paid_day, full = _payments(rng, amount, issued, term, due_passed, overdue)

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


def _overdue(rng: np.random.Generator, due: IntArray, due_passed: BoolArray) -> BoolArray:
    """Exactly round(OVERDUE_SHARE * n) overdue invoices among those already due,
    favouring recent due dates (weighted sampling without replacement via
    Efraimidis-Spirakis keys log(u) / w)."""
    n = due.size
    age = (REF_DAY - due).astype(np.float64)
    w = np.where(due_passed, 0.25 + np.exp(-age / 120.0), 0.0)
    n_overdue = min(round(OVERDUE_SHARE * n), int(due_passed.sum()))
    keys = np.full(n, -np.inf)
    keys[due_passed] = np.log(rng.random(int(due_passed.sum()))) / w[due_passed]
    overdue = np.zeros(n, dtype=bool)
    if n_overdue > 0:
        overdue[np.argpartition(-keys, n_overdue - 1)[:n_overdue]] = True
    return overdue


def _payments(
    rng: np.random.Generator,
    amount: IntArray,
    issued: IntArray,
    term: IntArray,
    due_passed: BoolArray,
    overdue: BoolArray,
) -> tuple[IntArray, IntArray, BoolArray]:
    """Paid cents, payment day and whether paid in full: invoices due and not overdue are
    paid in full, some overdue and not-yet-due ones in part, the rest not at all."""
    n = amount.size
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
    return paid, np.clip(paid_day, issued, REF_DAY - 1), full


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
