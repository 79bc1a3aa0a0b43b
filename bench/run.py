"""`make bench`: run each benchmark and print its figure next to its target."""

import argparse
import sys
import tempfile
from pathlib import Path

from bench import airtable
from bench import bigjob
from bench import book_import
from bench import book_pages
from bench import export
from bench import ingest
from bench import memory
from bench import pollers
from bench import prospects
from bench import recovery
from bench import rerun
from bench import results
from bench import throughput

BENCHES = {
    "throughput": throughput.run,
    "throughput200": throughput.run200,
    "ingest": ingest.run,
    "results": results.run,
    "pollers": pollers.run,
    "memory": memory.run,
    "prospects": prospects.run,
    "recovery": recovery.run,
    "bigjob": bigjob.run,
    "airtable": airtable.run,
    "rerun": rerun.run,
    "export": export.run,
    "book_import": book_import.run,
    "book_pages": book_pages.run,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "names", nargs="*", choices=[*BENCHES, []], help="benchmarks to run"
    )
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.names or BENCHES:
            print(f"== {name}", flush=True)
            results.append(BENCHES[name](tmp=Path(tmp)))
    missed = [r["name"] for r in results if not r["ok"]]
    print(f"{len(results) - len(missed)} met, {len(missed)} missed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
