"""Plan, execute and publish the notes of an observatory (`osq build`)."""

import sys

# nbformat and papermill validate notebooks with jsonschema, whose format checkers import rfc3987_syntax when it is
# installed (Jupyter's jsonschema[format-nongpl] pulls it in). That module builds an Earley parser when imported: 1.1 s
# of the first note a build reads or writes, for the "iri" format no notebook schema uses. jsonschema imports it
# under suppress(ImportError), so it does without (tests/unitaires/test_carnets.py).
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
