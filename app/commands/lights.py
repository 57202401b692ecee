"""``roomctl lights pair|status|scene``: set up and check the room's Hue bridge by hand.

These talk to the bridge directly and synchronously (a person is waiting at the keyboard), each
request bounded by the adapter's 1 s timeout, so a bridge that is down, hung or refuses the key
fails within seconds with one line. The pairing key is never printed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from app.commands._shared import load
from app.errors import UserError
from roomctl.config import Config


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0 < value <= 300:
        raise argparse.ArgumentTypeError(f"wait 0-300 seconds (got {text})")
    return value


def _group(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 255:
        raise argparse.ArgumentTypeError(f"a Hue group id is a number 0-255 (got {text!r})")
    return int(text)


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    lights = sub.add_parser("lights", help="the room's Hue lights: pair, status, try a scene")
    lsub = lights.add_subparsers(
        dest="action", metavar="ACTION", required=True, parser_class=type(lights)
    )
    where = argparse.ArgumentParser(add_help=False)
    where.add_argument(
        "--bridge", metavar="HOST[:PORT]", help="the bridge (default: [lights] bridge)"
    )
    who = argparse.ArgumentParser(add_help=False)
    who.add_argument(
        "--user",
        metavar="USER",
        help="the bridge user (default: the key stored by `roomctl lights pair`)",
    )
    pair = lsub.add_parser(
        "pair", parents=[common, where], help="pair with the bridge: press its link button"
    )
    pair.add_argument(
        "--wait", type=_seconds, default=30.0, metavar="S", help="how long to wait (default 30)"
    )
    pair.set_defaults(handler=cmd_pair)
    status = lsub.add_parser(
        "status", parents=[common, where, who], help="the bridge, its groups and lights"
    )
    status.add_argument("--json", action="store_true", help="one JSON object")
    status.set_defaults(handler=cmd_status)
    scene = lsub.add_parser(
        "scene", parents=[common, where, who], help="apply a configured scene once"
    )
    scene.add_argument("name", metavar="NAME", help="a scene from [lights.scenes]")
    scene.add_argument(
        "--group", type=_group, metavar="ID", help="the Hue group (default: [lights] group)"
    )
    scene.set_defaults(handler=cmd_scene)


def _bridge(args: argparse.Namespace, config: Config) -> str:
    from devices.lights.bridge import check_address

    address = args.bridge or config.lights.bridge
    if not address:
        raise UserError(
            f"no bridge: give --bridge HOST[:PORT] or set [lights] bridge "
            f"(backend is {config.lights.backend!r}; `roomctl sim hue` prints a simulator's)"
        )
    try:
        return check_address(address)
    except ValueError as exc:
        raise UserError(str(exc)) from None


def _key_file(config: Config) -> Path:
    from devices.lights.keys import key_file_path

    return key_file_path(config.lights.key_file)


def _user(args: argparse.Namespace, bridge: str, key_file: Path) -> str:
    from devices.lights.bridge import BridgeError
    from devices.lights.keys import load_key

    if args.user:
        return str(args.user)
    try:
        username = load_key(key_file, bridge)
    except BridgeError as exc:
        raise UserError(str(exc)) from None
    if username is None:
        raise UserError(f"not paired with {bridge}: run `roomctl lights pair --bridge {bridge}`")
    return username


def cmd_pair(args: argparse.Namespace) -> int:
    from devices.lights.bridge import BridgeError
    from devices.lights.keys import pair

    config = load(args)
    bridge, key_file = _bridge(args, config), _key_file(config)
    print(
        f"Press the link button on the bridge at {bridge} (waiting up to {args.wait:g} s) ...",
        flush=True,
    )
    try:
        pair(bridge, key_file, wait_s=args.wait)
    except BridgeError as exc:
        raise UserError(str(exc)) from None
    print(f"Paired with {bridge}; key stored in {key_file} (mode 0600, not shown).")
    return 0


def cmd_scene(args: argparse.Namespace) -> int:
    from devices.lights.bridge import BridgeError, RoomBridge, send_group_state
    from devices.lights.convert import scene_states
    from devices.lights.limits import GROUP_INTERVAL_S, Pacer

    config = load(args)
    scene = config.lights.scenes.get(args.name)
    if scene is None:
        known = ", ".join(sorted(config.lights.scenes)) or "none"
        raise UserError(f"unknown scene {args.name!r} (known: {known})")
    bridge, key_file = _bridge(args, config), _key_file(config)
    group = config.lights.group if args.group is None else args.group
    hue = RoomBridge(bridge, _user(args, bridge, key_file), key_file)
    states = scene_states(scene, config.lights.mired_range)
    pacer = Pacer(GROUP_INTERVAL_S)
    for step, state in enumerate(states, 1):
        time.sleep(pacer.wait_s())  # Hue's pace: one group command a second
        started = time.monotonic()
        try:
            body = send_group_state(hue, group, state)
        except BridgeError as exc:
            raise UserError(str(exc)) from None
        pacer.sent()
        took = (time.monotonic() - started) * 1000
        print(
            f"scene {args.name}: group {group} step {step}/{len(states)} "
            f"{json.dumps(body)} confirmed in {took:.0f} ms",
            flush=True,
        )
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    from devices.lights.bridge import BridgeError, RoomBridge

    config = load(args)
    bridge, key_file = _bridge(args, config), _key_file(config)
    user = _user(args, bridge, key_file)
    hue = RoomBridge(bridge, user, key_file)
    try:
        about = hue.request("GET", f"/api/{user}/config")
        groups = hue.get_group()
        lights = hue.get_light()
    except BridgeError as exc:
        raise UserError(str(exc)) from None
    if args.json:
        doc = {
            "bridge": bridge,
            "name": about.get("name"),
            "apiversion": about.get("apiversion"),
            "groups": groups,
            "lights": lights,
        }
        json.dump(doc, sys.stdout, indent=2, sort_keys=True)
        sys.stdout.write("\n")
        return 0
    source = "--user" if args.user else f"key from {key_file}"
    print(f"bridge {bridge} · {about.get('name')} · API {about.get('apiversion')} · {source}")
    print("groups:")
    for gid, group in sorted(groups.items(), key=lambda kv: int(kv[0])):
        members = ", ".join(group.get("lights", [])) or "none"
        print(
            f"  {gid:>3}  {group.get('name', ''):<20} lights {members:<12} "
            f"{_state_text(group.get('action', {}))}"
        )
    print("lights:")
    for lid, light in sorted(lights.items(), key=lambda kv: int(kv[0])):
        state = light.get("state", {})
        reach = "reachable" if state.get("reachable", True) else "UNREACHABLE"
        print(f"  {lid:>3}  {light.get('name', ''):<20} {_state_text(state)} · {reach}")
    return 0


def _state_text(state: dict[str, Any]) -> str:
    parts = ["on" if state.get("on") else "off"]
    if "bri" in state:
        parts.append(f"bri {state['bri']} ({state['bri'] * 100 / 254:.0f} %)")
    if state.get("colormode", "ct") == "ct" and state.get("ct"):
        parts.append(f"ct {state['ct']} ({round(1e6 / state['ct'])} K)")
    elif state.get("xy"):
        parts.append(f"xy {state['xy'][0]:.4f},{state['xy'][1]:.4f}")
    return " · ".join(parts)
