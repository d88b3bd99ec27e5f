#!/usr/bin/env python3
"""Checks a rekey audit log export (JSON Lines) with Python's standard library alone: docs/audit-chain.md.
Usage: python3 docs/audit_verify.py FILE [HEAD]   (exit 0 intact, 1 broken)"""
import hashlib, json, re, sys
from decimal import Decimal

FIELDS = ["seq", "at", "actor", "action", "organizationId", "keyId", "keyFingerprint", "rotationId", "reason", "outcome", "before", "after", "prevHash", "hash"]
TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")

def number(f):  # ECMAScript's Number.prototype.toString, as RFC 8785 requires
    if f.is_integer() and abs(f) < 1e21: return str(int(f))
    t = Decimal(repr(abs(f))).normalize().as_tuple(); d = "".join(map(str, t.digits)); k, n = len(d), len(d) + t.exponent
    s = d[:n] + "." + d[n:] if 0 < n <= 21 else "0." + "0" * -n + d if -6 < n <= 0 else d[0] + ("." + d[1:] if k > 1 else "") + "e" + ("+" if n > 0 else "-") + str(abs(n - 1))
    return ("-" if f < 0 else "") + s

def jcs(v):  # RFC 8785 canonical JSON
    if isinstance(v, bool) or v is None: return json.dumps(v)
    if isinstance(v, str): return json.dumps(v, ensure_ascii=False)
    if isinstance(v, int): return str(v)
    if isinstance(v, float): return number(v)
    if isinstance(v, list): return "[" + ",".join(map(jcs, v)) + "]"
    return "{" + ",".join(jcs(k) + ":" + jcs(v[k]) for k in sorted(v, key=lambda k: k.encode("utf-16-be"))) + "}"

def verify(path, head=None):
    prev, seq, n = None, 0, 0
    for line in filter(None, open(path, encoding="utf-8").read().split("\n")):
        e = json.loads(line); s = e.get("seq", "?")
        if list(e) != FIELDS: return f"BROKEN at event {s}: its fields are not exactly {', '.join(FIELDS)}"
        if not TIME.match(e["at"]): return f"BROKEN at event {s}: its time is not in the documented form"
        if int(s) <= seq or (prev is None and s == "1" and e["prevHash"] != "0" * 64) or (prev is not None and e["prevHash"] != prev):
            return f"BROKEN at event {s}: an event before it was deleted, reordered or changed"
        if hashlib.sha256(jcs({k: e[k] for k in FIELDS[1:-1]}).encode("utf-8")).hexdigest() != e["hash"]:
            return f"BROKEN at event {s}: it was edited after it was written"
        prev, seq, n = e["hash"], int(s), n + 1
    if head and head != prev: return f"BROKEN: the file ends at {prev}, not at the head {head}"
    return f"INTACT: {n} events, head {prev}"

if __name__ == "__main__":
    verdict = verify(*sys.argv[1:3]); print(verdict); sys.exit(0 if verdict.startswith("INTACT") else 1)
