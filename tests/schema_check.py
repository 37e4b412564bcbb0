"""Validates robolua run documents against schema/run.schema.json (driven by tests/schema.sh).

  schema_check.py SCHEMA valid [--strict] FILE...   every FILE validates (--strict: as written now,
                                                    without the schema's legacy allowances)
  schema_check.py SCHEMA broken FILE                every deliberate breakage of FILE fails validation
Prints one line per check ("ok    ..." / "FAIL  ...") and exits 1 if any check failed.
"""
import copy
import json
import sys

from jsonschema import Draft202012Validator


def strict(schema):
    """The schema without legacy forms: what a document written by this robolua must satisfy."""
    s = copy.deepcopy(schema)
    s["properties"]["script_args"] = {"type": "array", "items": {"type": "string"}}
    return s


def errors(validator, doc):
    return sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))


def first_ok(doc):
    for r in doc["results"]:
        if r["status"] == "ok":
            return r
    raise SystemExit("the document has no ok record to break")


def first_not_ok(doc):
    for r in doc["results"]:
        if r["status"] != "ok":
            return r
    raise SystemExit("the document has no record that is not ok to break")


# name -> function(doc) that breaks one field in place (raises if the field is not there)
def _set(obj, key, value):
    if key not in obj:
        raise KeyError(key)
    obj[key] = value


BREAKS = {
    "a sample as a string": lambda d: first_ok(d)["seeds"][0]["samples_ms"].__setitem__(
        0, str(first_ok(d)["seeds"][0]["samples_ms"][0])),
    "a negative sample": lambda d: first_ok(d)["seeds"][0]["samples_ms"].__setitem__(0, -1.0),
    "the verdict missing": lambda d: d.pop("verdict"),
    "a record's key missing": lambda d: d["results"][0].pop("key"),
    "an ok record without stats": lambda d: first_ok(d).pop("stats"),
    "a skipped record without its reason": lambda d: first_not_ok(d).pop("reason"),
    "an empty gates array written as {}": lambda d: _set(d, "gates", {}),
    "empty samples_ms written as {}": lambda d: _set(first_ok(d)["seeds"][0], "samples_ms", {}),
    "empty warnings written as {}": lambda d: _set(d, "warnings", {}),
    "seeds (settings) as an object": lambda d: _set(d["settings"], "seeds", {"0": 0}),
    "an unknown status": lambda d: _set(d["results"][0], "status", "passed"),
    "an unknown gate status": lambda d: _set(d["gates"][0], "status", "PASS"),
    "an unknown top-level key": lambda d: d.__setitem__("extra_field", 1),
    "an unknown key in a record": lambda d: d["results"][0].__setitem__("median_ms", 1.0),
    "stats.n as a float": lambda d: _set(first_ok(d)["stats"], "n", 15.5),
    "another schema": lambda d: _set(d, "schema", "robolua.run/3"),
    "a bad UTC time": lambda d: _set(d, "started_utc", "yesterday"),
}


def main(argv):
    schema = json.load(open(argv[1]))
    Draft202012Validator.check_schema(schema)
    mode, files = argv[2], argv[3:]
    fails = 0
    if mode == "valid":
        if files and files[0] == "--strict":
            schema, files = strict(schema), files[1:]
        v = Draft202012Validator(schema)
        for path in files:
            errs = errors(v, json.load(open(path)))
            if errs:
                fails += 1
                print("FAIL  %s: %d schema errors" % (path, len(errs)))
                for e in errs[:8]:
                    print("        at /%s: %s" % ("/".join(map(str, e.absolute_path)), e.message[:300]))
            else:
                print("ok    %s validates" % path)
    elif mode == "broken":
        v = Draft202012Validator(schema)
        doc = json.load(open(files[0]))
        if errors(v, doc):
            print("FAIL  %s does not validate unbroken" % files[0])
            return 1
        for name, brk in BREAKS.items():
            d = copy.deepcopy(doc)
            brk(d)
            if d == doc:
                fails += 1
                print("FAIL  breaking '%s' changed nothing" % name)
            elif errors(v, d):
                print("ok    %s: rejected" % name)
            else:
                fails += 1
                print("FAIL  %s: the schema accepts it" % name)
    else:
        raise SystemExit("unknown mode " + mode)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
