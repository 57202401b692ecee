"""Recovery rules, pure: scoring a check and deciding when a patient is discharge-ready.

Discharge-ready means the modified Aldrete total reached the threshold on the last N checks in
a row *and* the minimum recovery time has passed. The nurse still discharges; roomctl only says
when the protocol's conditions are met.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from roomctl.session import RecoveryCheck

#: Modified Aldrete items, each scored 0, 1 or 2 (total 0-10).
ALDRETE_ITEMS = ("activity", "respiration", "circulation", "consciousness", "spo2")


class CheckError(ValueError):
    """A recovery check form that cannot be scored."""


def aldrete_total(items: Mapping[str, int]) -> int:
    """Sum of the five modified Aldrete items; every item must be present and 0-2."""
    missing = [name for name in ALDRETE_ITEMS if name not in items]
    if missing:
        raise CheckError(f"Aldrete items missing: {', '.join(missing)}")
    unknown = sorted(set(items) - set(ALDRETE_ITEMS))
    if unknown:
        raise CheckError(f"unknown Aldrete items: {', '.join(unknown)}")
    for name in ALDRETE_ITEMS:
        if items[name] not in (0, 1, 2):
            raise CheckError(f"Aldrete {name} must be 0, 1 or 2 (got {items[name]!r})")
    return sum(items[name] for name in ALDRETE_ITEMS)


def passing_streak_met(checks: Sequence[RecoveryCheck], in_a_row: int) -> bool:
    """True when the last ``in_a_row`` checks all passed."""
    if len(checks) < in_a_row:
        return False
    return all(check.passed for check in checks[-in_a_row:])


def discharge_ready(
    checks: Sequence[RecoveryCheck],
    recovery_elapsed_s: float,
    minimum_minutes: float,
    in_a_row: int,
) -> bool:
    return recovery_elapsed_s >= minimum_minutes * 60.0 and passing_streak_met(checks, in_a_row)
