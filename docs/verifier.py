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
import math
import re
import sys
import zlib
from datetime import datetime, timezone

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# rekey's own key format; a company's own is given as in the README's "Your own key format".
REKEY_FORMAT = {"prefixes": {"live": "rk_live_", "test": "rk_test_"}, "randomBytes": 32, "checksum": "crc32"}
BASE62 = re.compile(r"^[0-9A-Za-z]*$")
HOUR_MS = 3_600_000


def base62(value, width):
    out = ""
    while value > 0:
        value, digit = divmod(value, 62)
        out = ALPHABET[digit] + out
    return out.rjust(width, "0")


def random_chars(random_bytes):
    """Base62 characters holding that many random bytes: ceil(8 * bytes / log2 62)."""
    return math.ceil(8 * random_bytes / math.log2(62))


def well_formed(key, key_format=REKEY_FORMAT):
    """Its prefix, exact length, the base62 alphabet and, when the format has one, its CRC32 checksum."""
    chars = random_chars(key_format["randomBytes"])
    with_checksum = key_format["checksum"] == "crc32"
    for prefix in key_format["prefixes"].values():
        if not key.startswith(prefix) or len(key) != len(prefix) + chars + (6 if with_checksum else 0):
            continue
        if not BASE62.match(key[len(prefix):]):
            return False
        end = len(prefix) + chars
        return not with_checksum or key[end:] == base62(zlib.crc32(key[:end].encode()), 6)
    return False


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

    def verify(self, key, now_ms, key_format=REKEY_FORMAT):
        if not well_formed(key, key_format):
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
        key_format = vectors["formats"][case["format"]] if "format" in case else REKEY_FORMAT
        got = verifier.verify(case["key"], ms(case["now"]), key_format)
        if got != case["expect"]:
            failed += 1
            print("FAIL %s\n  got      %s\n  expected %s" % (case["name"], got, case["expect"]))
    print("%d of %d cases pass" % (len(vectors["cases"]) - failed, len(vectors["cases"])))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
