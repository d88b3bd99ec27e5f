#!/usr/bin/env python3
"""A verifier of rekey keys in Python's standard library, from docs/verifier-protocol.md.

It holds records (from a snapshot) and applies the rule; following the change
stream is a loop around urllib that this reference leaves out. Run against the
shared test vectors:

    python3 docs/verifier.py packages/verifier/test-vectors.json
"""
import hashlib
import hmac
import json
import re
import sys
import zlib
from datetime import datetime, timezone

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
KEY = re.compile(r"^rk_(live|test)_([0-9A-Za-z]{49})$")
HOUR_MS = 3_600_000


def base62(value, width):
    out = ""
    while value > 0:
        value, digit = divmod(value, 62)
        out = ALPHABET[digit] + out
    return out.rjust(width, "0")


def well_formed(key):
    match = KEY.match(key)
    if not match:
        return False
    rest = match.group(2)
    body = "rk_%s_%s" % (match.group(1), rest[:43])
    return rest[43:] == base62(zlib.crc32(body.encode()), 6)


def ms(text):
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


def iso(millis):
    return datetime.fromtimestamp(millis / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (millis % 1000)


def deadline(rotation, now):
    """(started, deadline) of a started rotation, or None before its scheduled time."""
    scheduled = ms(rotation["scheduledAt"])
    if rotation["state"] == "scheduled" and scheduled > now:
        return None
    started = ms(rotation["startedAt"]) if rotation["startedAt"] else scheduled
    if rotation["state"] == "grace" and rotation["graceEndsAt"]:
        base = ms(rotation["graceEndsAt"])
    else:
        base = scheduled + rotation["gracePeriodHours"] * HOUR_MS
    used = rotation["successorFirstUsedAt"]
    waits = (rotation["kind"] != "emergency" and not rotation["deadlineExtended"] and rotation["waitForSuccessorUse"]
             and not (used and ms(used) < base))
    if now < base or not waits:
        return started, base
    return started, base + max(rotation["gracePeriodHours"], 1) * HOUR_MS


def decide(record, now):
    if record is None:
        return {"valid": False, "code": "unknown"}
    if record["status"] == "revoked":
        return {"valid": False, "code": "revoked"}
    if record["status"] == "expired" or (record["expiresAt"] and ms(record["expiresAt"]) <= now):
        return {"valid": False, "code": "expired"}
    answer = {"valid": True, "keyId": record["keyId"], "organizationId": record["organizationId"],
              "environment": record["environment"], "scopes": record["scopes"], "rateLimit": record["rateLimit"],
              "externalId": record.get("externalId"), "metadata": record.get("metadata") or {},
              "organizationExternalId": record.get("organizationExternalId"),
              "organizationMetadata": record.get("organizationMetadata") or {}}
    rotation = record["rotation"]
    started = None
    if rotation and (rotation["state"] == "grace" or record["status"] == "active"):
        started = deadline(rotation, now)
    if started is None:
        return dict(answer, deprecated=False)
    start, end = started
    if end <= now:
        return {"valid": False, "code": "revoked"}
    return dict(answer, deprecated=True, deprecatedAt=iso(start), graceEndsAt=iso(end), successorPrefix=rotation["successorPrefix"])


class Verifier:
    def __init__(self, hashing_secrets, records):
        # Every configured hashing secret version, newest first; a record matches only under its own version.
        self.secrets = sorted(((s["version"], s["secret"].encode()) for s in hashing_secrets), reverse=True)
        self.records = {r["hash"]: r for r in records}

    def verify(self, key, now_ms):
        if not well_formed(key):
            return {"valid": False, "code": "malformed"}
        for version, secret in self.secrets:
            record = self.records.get(hmac.new(secret, key.encode(), hashlib.sha256).hexdigest())
            if record is not None and record.get("hashVersion", 1) == version:
                return decide(record, now_ms)
        return decide(None, now_ms)


def main(path):
    vectors = json.load(open(path))
    verifier = Verifier(vectors["hashing"]["secrets"], vectors["records"])
    failed = 0
    for case in vectors["cases"]:
        got = verifier.verify(case["key"], ms(case["now"]))
        if got != case["expect"]:
            failed += 1
            print("FAIL %s\n  got      %s\n  expected %s" % (case["name"], got, case["expect"]))
    print("%d of %d cases pass" % (len(vectors["cases"]) - failed, len(vectors["cases"])))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
