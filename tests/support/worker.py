"""The body every worker script of the process tests shares (see `processes.start_worker`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from typing import Any

Job = dict[str, Any]


def main(steps: Mapping[str, Callable[[Job], Job]], race: Callable[[Job], Job]) -> None:
    """Set Django up, run the step the job's `do` names (`race` for any other), and print its
    answer as JSON: the job is the script's one argument, in JSON."""
    job = json.loads(sys.argv[1])
    import django

    django.setup()
    step = steps.get(job["do"], race)
    print(json.dumps(step(job)))
