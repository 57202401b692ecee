"""The session protocol the UI stories are told with, pinned: the shipped defaults
(config/roomctl.toml) may change their sounds, reminders and recovery rules without rewriting
what these stories say a nurse sees."""

from __future__ import annotations

from roomctl.config import (
    Config,
    PhaseCuesConfig,
    RecoveryConfig,
    ReminderConfig,
    load_config,
)


def pinned_config() -> Config:
    base = load_config(None)
    phases = base.phases

    def phase(
        name: str, preset: str, level: float, reminders: list[ReminderConfig]
    ) -> PhaseCuesConfig:
        return getattr(phases, name).model_copy(
            update={
                "soundscape": preset,
                "soundscape_level": level,
                "music_level": None,
                "reminders": reminders,
            }
        )

    return base.model_copy(
        update={
            "plan": base.plan.model_copy(
                update={"infusion_minutes": 40, "auto_end_infusion": True}
            ),
            "recovery": RecoveryConfig(
                minimum_minutes=30,
                check_every_minutes=15,
                discharge_aldrete=9,
                passing_checks_in_a_row=2,
            ),
            "phases": phases.model_copy(
                update={
                    "preparing": phase("preparing", "warm-hush", 0.4, []),
                    "infusing": phase(
                        "infusing",
                        "warm-hush",
                        0.3,
                        [ReminderConfig(text="BP check", every_minutes=15)],
                    ),
                    "recovering": phase(
                        "recovering",
                        "warm-hush",
                        0.2,
                        [
                            ReminderConfig(text="BP at infusion end", at_minutes=0),
                            ReminderConfig(
                                text="Recovery check due",
                                every_minutes=15,
                                purpose="recovery_check",
                            ),
                        ],
                    ),
                }
            ),
        }
    )
