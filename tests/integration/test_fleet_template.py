#!/usr/bin/env python3
"""test_fleet_template.py FTPSTALL TEMPLATE CAPTURE_DIR... — the index
template shipped for the ECS log (docs/fleet-index-template.json) against
`analyze --format ecs` on every bundled capture and on a replay with watch:

- the template is an index template Elasticsearch and OpenSearch accept in
  shape (index_patterns, template.mappings.properties, each leaf a "type"
  of keyword, text, ip, date, long, double or boolean);
- every field of every document is mapped there (arrays of values and of
  objects as Elasticsearch indexes them: each member by the field's
  mapping);
- every value has the type its mapping says: keyword and text strings, ip
  an address, date an ISO 8601 time, long an integer, double a number,
  boolean true or false.

A document field the template lacks would be mapped by Elasticsearch's
guess (or refused under "dynamic": "strict"); a type that differs would be
refused outright. Exit 0 pass, 1 fail. A few seconds.
"""
import datetime
import glob
import ipaddress
import json
import os
import subprocess
import sys
import tempfile

TYPES = {"keyword", "text", "ip", "date", "long", "double", "boolean"}


def leaves(props, prefix=""):
    """{dotted field: type} of a mappings' properties."""
    out = {}
    for name, m in props.items():
        if "properties" in m:
            out.update(leaves(m["properties"], prefix + name + "."))
        else:
            out[prefix + name] = m.get("type")
    return out


def values(doc, prefix=""):
    """(dotted field, leaf value) of a document; arrays flattened."""
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from values(v, prefix + k + ".")
    elif isinstance(doc, list):
        for v in doc:
            yield from values(v, prefix)
    else:
        yield prefix[:-1], doc


def type_ok(kind, v):
    if kind in ("keyword", "text"):
        return isinstance(v, str)
    if kind == "ip":
        if not isinstance(v, str):
            return False
        try:
            ipaddress.ip_address(v)
            return True
        except (ValueError, TypeError):
            return False
    if kind == "date":
        try:
            datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
            return v.endswith("Z")
        except (ValueError, AttributeError):
            return False
    if kind == "long":
        return isinstance(v, int) and not isinstance(v, bool) and -2**63 <= v < 2**63
    if kind == "double":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if kind == "boolean":
        return isinstance(v, bool)
    return False


def main():
    ftpstall, template_path, dirs = sys.argv[1], sys.argv[2], sys.argv[3:]
    failures = []
    with open(template_path) as f:
        template = json.load(f)
    if not template.get("index_patterns"):
        failures.append("no index_patterns")
    mapped = leaves(template["template"]["mappings"]["properties"])
    for field, kind in mapped.items():
        if kind not in TYPES:
            failures.append(f"template: {field} has type {kind!r}")
    pcaps = sorted(p for d in dirs for p in glob.glob(os.path.join(d, "*.pcap*")))
    documents, seen = 0, set()
    with tempfile.TemporaryDirectory() as work:
        outputs = []
        for pcap in pcaps:
            path = os.path.join(work, "out.ecs")
            r = subprocess.run([ftpstall, "analyze", "-f", "ecs", "-o", path, pcap],
                               capture_output=True, text=True, timeout=60)
            if r.returncode:
                failures.append(f"{pcap}: exit {r.returncode}: {r.stderr}")
                continue
            with open(path) as f:
                outputs.append((os.path.basename(pcap), f.read()))
        # watch writes the same documents as sessions end (one replay).
        r = subprocess.run([ftpstall, "watch", "--no-tui", "--speed", "0", "-f", "ecs", "-r"]
                           + pcaps[:3], capture_output=True, text=True, timeout=60)
        if r.returncode:
            failures.append(f"watch -f ecs: exit {r.returncode}: {r.stderr}")
        outputs.append(("watch -f ecs", r.stdout))
    for name, text in outputs:
        for line in text.splitlines():
            try:
                doc = json.loads(line)
            except ValueError as e:
                failures.append(f"{name}: not JSON ({e}): {line[:80]}")
                continue
            documents += 1
            for field, v in values(doc):
                seen.add(field)
                kind = mapped.get(field)
                if kind is None:
                    failures.append(f"{name}: {field} is not in the template")
                elif v is not None and not type_ok(kind, v):
                    failures.append(f"{name}: {field} = {v!r} is no {kind}")
    unused = sorted(set(mapped) - seen)
    for f in sorted(set(failures))[:40]:
        print("FAIL:", f)
    print(f"{len(pcaps)} captures, {documents} documents, {len(seen)} fields written, "
          f"{len(mapped)} mapped; mapped but not written by these captures: {unused}")
    return 1 if failures or not documents else 0


if __name__ == "__main__":
    sys.exit(main())
