"""The interop corpus: compact types and objects that cover every field kind (but CHAR and PORTABLE).

Shared by our tests (``tests.official.corpus``) and by ``driver.py``, which runs in the official client's venv. It
must not import any ``hazelcast`` package: both sides convert :class:`Rec` objects to their own classes. Values are
compared through :func:`to_json` (exact floats, NaN-safe, decimals by their text).
"""

from __future__ import annotations

import datetime
import decimal
import math
from typing import Any, Dict, List, Tuple

KINDS = {
    "BOOLEAN": 1, "ARRAY_OF_BOOLEAN": 2, "INT8": 3, "ARRAY_OF_INT8": 4, "INT16": 7, "ARRAY_OF_INT16": 8,
    "INT32": 9, "ARRAY_OF_INT32": 10, "INT64": 11, "ARRAY_OF_INT64": 12, "FLOAT32": 13, "ARRAY_OF_FLOAT32": 14,
    "FLOAT64": 15, "ARRAY_OF_FLOAT64": 16, "STRING": 17, "ARRAY_OF_STRING": 18, "DECIMAL": 19,
    "ARRAY_OF_DECIMAL": 20, "TIME": 21, "ARRAY_OF_TIME": 22, "DATE": 23, "ARRAY_OF_DATE": 24, "TIMESTAMP": 25,
    "ARRAY_OF_TIMESTAMP": 26, "TIMESTAMP_WITH_TIMEZONE": 27, "ARRAY_OF_TIMESTAMP_WITH_TIMEZONE": 28, "COMPACT": 29,
    "ARRAY_OF_COMPACT": 30, "NULLABLE_BOOLEAN": 33, "ARRAY_OF_NULLABLE_BOOLEAN": 34, "NULLABLE_INT8": 35,
    "ARRAY_OF_NULLABLE_INT8": 36, "NULLABLE_INT16": 37, "ARRAY_OF_NULLABLE_INT16": 38, "NULLABLE_INT32": 39,
    "ARRAY_OF_NULLABLE_INT32": 40, "NULLABLE_INT64": 41, "ARRAY_OF_NULLABLE_INT64": 42, "NULLABLE_FLOAT32": 43,
    "ARRAY_OF_NULLABLE_FLOAT32": 44, "NULLABLE_FLOAT64": 45, "ARRAY_OF_NULLABLE_FLOAT64": 46,
}
KIND_NAMES = {v: k for k, v in KINDS.items()}


def _fields(*pairs: str) -> List[Tuple[str, int]]:
    out = []
    for pair in pairs:
        name, kind = pair.split(":")
        out.append((name, KINDS[kind]))
    return out


# fields in the order the serializers write them (the "declared" order)
TYPES: Dict[str, List[Tuple[str, int]]] = {
    "interop.Fixed": _fields("flag:BOOLEAN", "i8:INT8", "b0:BOOLEAN", "i16:INT16", "i32:INT32", "b1:BOOLEAN",
                             "i64:INT64", "f32:FLOAT32", "f64:FLOAT64", "b2:BOOLEAN", "b3:BOOLEAN", "b4:BOOLEAN",
                             "b5:BOOLEAN", "b6:BOOLEAN", "b7:BOOLEAN", "b8:BOOLEAN"),
    "interop.Nullable": _fields("nb:NULLABLE_BOOLEAN", "n8:NULLABLE_INT8", "n16:NULLABLE_INT16",
                                "n32:NULLABLE_INT32", "n64:NULLABLE_INT64", "nf32:NULLABLE_FLOAT32",
                                "nf64:NULLABLE_FLOAT64"),
    "interop.Arrays": _fields("ab:ARRAY_OF_BOOLEAN", "a8:ARRAY_OF_INT8", "a16:ARRAY_OF_INT16", "a32:ARRAY_OF_INT32",
                              "a64:ARRAY_OF_INT64", "af32:ARRAY_OF_FLOAT32", "af64:ARRAY_OF_FLOAT64",
                              "anb:ARRAY_OF_NULLABLE_BOOLEAN", "an8:ARRAY_OF_NULLABLE_INT8",
                              "an16:ARRAY_OF_NULLABLE_INT16", "an32:ARRAY_OF_NULLABLE_INT32",
                              "an64:ARRAY_OF_NULLABLE_INT64", "anf32:ARRAY_OF_NULLABLE_FLOAT32",
                              "anf64:ARRAY_OF_NULLABLE_FLOAT64"),
    "interop.Text": _fields("s:STRING", "strings:ARRAY_OF_STRING"),
    "interop.Temporal": _fields("d:DECIMAL", "t:TIME", "day:DATE", "ts:TIMESTAMP", "tz:TIMESTAMP_WITH_TIMEZONE",
                                "ad:ARRAY_OF_DECIMAL", "at:ARRAY_OF_TIME", "aday:ARRAY_OF_DATE",
                                "ats:ARRAY_OF_TIMESTAMP", "atz:ARRAY_OF_TIMESTAMP_WITH_TIMEZONE"),
    "interop.Inner": _fields("x:INT32", "label:STRING"),
    "interop.Outer": _fields("inner:COMPACT", "note:STRING", "inners:ARRAY_OF_COMPACT", "count:INT32"),
    "interop.Wide": _fields("s:STRING", "tags:ARRAY_OF_STRING", "n:NULLABLE_INT32"),
    "interop.Empty": [],
}


class Rec:
    """A compact object of the corpus, without any serializer: a type name and field values."""

    __slots__ = ("type_name", "fields")

    def __init__(self, type_name: str, fields: Dict[str, Any]) -> None:
        self.type_name = type_name
        self.fields = fields

    def __repr__(self) -> str:
        return f"Rec({self.type_name!r}, {self.fields!r})"


def _utc(hours: int, minutes: int = 0) -> datetime.timezone:
    return datetime.timezone(datetime.timedelta(hours=hours, minutes=minutes))


def _corpus() -> List[Rec]:
    dec = decimal.Decimal
    recs = [
        Rec("interop.Fixed", dict(flag=True, i8=-128, b0=False, i16=-32768, i32=-(2**31), b1=True, i64=-(2**63),
                                  f32=1.5, f64=math.pi, b2=True, b3=False, b4=True, b5=True, b6=False, b7=True,
                                  b8=True)),
        Rec("interop.Fixed", dict(flag=False, i8=127, b0=True, i16=32767, i32=2**31 - 1, b1=False, i64=2**63 - 1,
                                  f32=float("-inf"), f64=float("nan"), b2=False, b3=True, b4=False, b5=False,
                                  b6=True, b7=False, b8=False)),
        Rec("interop.Fixed", dict(flag=True, i8=0, b0=True, i16=0, i32=0, b1=True, i64=0, f32=-0.0, f64=1e308,
                                  b2=True, b3=True, b4=True, b5=True, b6=True, b7=True, b8=True)),
        Rec("interop.Nullable", dict(nb=True, n8=-5, n16=300, n32=-70000, n64=2**40, nf32=0.25, nf64=-2.5)),
        Rec("interop.Nullable", dict(nb=None, n8=None, n16=None, n32=None, n64=None, nf32=None, nf64=None)),
        Rec("interop.Nullable", dict(nb=False, n8=None, n16=7, n32=None, n64=-1, nf32=None, nf64=float("inf"))),
        Rec("interop.Arrays", dict(ab=[True, False, True, True, False, False, False, False, True], a8=[-128, 0, 127],
                                   a16=[-32768, 1, 32767], a32=[-(2**31), 2, 2**31 - 1], a64=[-(2**63), 3, 2**63 - 1],
                                   af32=[0.5, -1.25, float("inf")], af64=[0.1, -0.2, float("nan")],
                                   anb=[True, None, False], an8=[None, 1, -1], an16=[2, None], an32=[None],
                                   an64=[4, 5, None], anf32=[None, 0.75], anf64=[1e-300, None])),
        Rec("interop.Arrays", dict(ab=[], a8=[], a16=[], a32=[], a64=[], af32=[], af64=[], anb=[], an8=[], an16=[],
                                   an32=[], an64=[], anf32=[], anf64=[])),
        Rec("interop.Arrays", dict(ab=None, a8=None, a16=None, a32=None, a64=None, af32=None, af64=None, anb=None,
                                   an8=None, an16=None, an32=None, an64=None, anf32=None, anf64=None)),
        Rec("interop.Arrays", dict(ab=[True] * 17, a8=[1], a16=[2], a32=[3], a64=[4], af32=[5.0], af64=[6.0],
                                   anb=[None, None], an8=[1, 2, 3], an16=[None], an32=[1], an64=[None, None, None],
                                   anf32=[1.0], anf64=[2.0])),
        Rec("interop.Text", dict(s="Grüße, 世界 🚀 — ñ", strings=["", None, "ASCII", "日本語", "😀" * 3, "\x00nul"])),
        Rec("interop.Text", dict(s="", strings=[])),
        Rec("interop.Text", dict(s=None, strings=None)),
        Rec("interop.Temporal", dict(
            d=dec("-123456789012345678901234567890.000000001"), t=datetime.time(23, 59, 59, 999999),
            day=datetime.date(1, 1, 1), ts=datetime.datetime(2024, 2, 29, 12, 0, 0, 123456),
            tz=datetime.datetime(2020, 1, 2, 3, 4, 5, 6, tzinfo=_utc(5, 30)),
            ad=[dec("0"), dec("1E+10"), dec("-128"), None, dec("255"), dec("0.00")],
            at=[datetime.time(0, 0), None, datetime.time(12, 30, 15, 1000)],
            aday=[datetime.date(9999, 12, 31), None, datetime.date(1970, 1, 1)],
            ats=[datetime.datetime(1, 1, 1), None, datetime.datetime(9999, 12, 31, 23, 59, 59, 999999)],
            atz=[datetime.datetime(2000, 6, 1, tzinfo=_utc(-18)), None,
                 datetime.datetime(2000, 6, 1, tzinfo=_utc(18)), datetime.datetime(2000, 6, 1, tzinfo=_utc(0))])),
        Rec("interop.Temporal", dict(d=None, t=None, day=None, ts=None, tz=None, ad=None, at=None, aday=None,
                                     ats=None, atz=None)),
        Rec("interop.Temporal", dict(d=dec("3.14"), t=datetime.time(1, 2, 3), day=datetime.date(2024, 12, 24),
                                     ts=datetime.datetime(2024, 12, 24, 18, 0), tz=datetime.datetime(
                                         2024, 12, 24, 18, 0, tzinfo=_utc(-3, -30)),
                                     ad=[], at=[], aday=[], ats=[], atz=[])),
        Rec("interop.Inner", dict(x=7, label="seven")),
        Rec("interop.Outer", dict(inner=Rec("interop.Inner", dict(x=1, label="one")), note="nested ✓",
                                  inners=[Rec("interop.Inner", dict(x=2, label=None)), None,
                                          Rec("interop.Inner", dict(x=-3, label="three"))], count=3)),
        Rec("interop.Outer", dict(inner=None, note=None, inners=None, count=0)),
        Rec("interop.Outer", dict(inner=Rec("interop.Inner", dict(x=0, label="")), note="", inners=[], count=-1)),
        Rec("interop.Empty", {}),
    ]
    # offset widths: dataLength 254 / 255 / 65534 / 65535 (uint8 / uint16 / uint16 / int32 entries), and the same
    # thresholds for the item offsets of an array
    for length in (250, 251, 65530, 65531):
        recs.append(Rec("interop.Wide", dict(s="x" * length, tags=None, n=None)))
    for length in (250, 251, 65530, 65531):
        recs.append(Rec("interop.Wide", dict(s=None, tags=["é" * (length // 2) + "y" * (length % 2)], n=42)))
    recs.append(Rec("interop.Wide", dict(s="z" * 300, tags=["a", None, "b" * 70000, None], n=-1)))
    return recs


CORPUS: List[Rec] = _corpus()


def to_json(value: Any) -> Any:
    """A JSON-able, exactly comparable form of a corpus value."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return {"$i": str(value)}
    if isinstance(value, float):
        return {"$f": "nan" if math.isnan(value) else repr(value)}
    if isinstance(value, decimal.Decimal):
        return {"$dec": str(value)}
    if isinstance(value, datetime.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"$date": value.isoformat()}
    if isinstance(value, datetime.time):
        return {"$time": value.isoformat()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, Rec):
        return {"$rec": value.type_name, "fields": {k: to_json(v) for k, v in sorted(value.fields.items())}}
    raise TypeError(f"not a corpus value: {value!r}")


def float32(value: float) -> float:
    """``value`` rounded to float32 (the corpus only uses float32 values that survive this unchanged)."""
    import struct

    return struct.unpack("<f", struct.pack("<f", value))[0]
