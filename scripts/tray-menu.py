#!/usr/bin/python3
"""Reads or clicks the tray menu of a running process over D-Bus.

Linux tray icons export their menu as com.canonical.dbusmenu on the session
bus, so a test can use the menu without a tray host:

    scripts/tray-menu.py PID list
    scripts/tray-menu.py PID click LABEL
"""
import sys
import time
import xml.etree.ElementTree as ElementTree

import dbus

MENU_INTERFACE = "com.canonical.dbusmenu"
# Seconds to wait for an introspection reply. At times some of the app's
# D-Bus connections never reply, and D-Bus's default timeout of 25 seconds
# for each of them stalled the search. Proxies skip their own introspection
# for the same reason.
INTROSPECT_TIMEOUT = 2


def connection_of(bus, pid):
    driver = bus.get_object("org.freedesktop.DBus", "/org/freedesktop/DBus")
    for name in driver.ListNames(dbus_interface="org.freedesktop.DBus"):
        if not name.startswith(":"):
            continue
        try:
            owner = driver.GetConnectionUnixProcessID(name, dbus_interface="org.freedesktop.DBus")
        except dbus.DBusException:
            continue
        if int(owner) == pid:
            yield name


def menu_paths(bus, name, path="/"):
    try:
        xml = bus.get_object(name, path, introspect=False).Introspect(
            dbus_interface="org.freedesktop.DBus.Introspectable", timeout=INTROSPECT_TIMEOUT
        )
    except dbus.DBusException:
        return
    node = ElementTree.fromstring(xml)
    if any(i.get("name") == MENU_INTERFACE for i in node.findall("interface")):
        yield path
    for child in node.findall("node"):
        child_path = path.rstrip("/") + "/" + child.get("name")
        yield from menu_paths(bus, name, child_path)


def items(layout):
    item_id, properties, children = layout
    label = str(properties.get("label", "")).replace("_", "")
    if label:
        yield int(item_id), label, bool(properties.get("enabled", True))
    for child in children:
        yield from items(child)


def find_menu(bus, pid):
    for name in connection_of(bus, pid):
        for path in menu_paths(bus, name):
            menu = dbus.Interface(bus.get_object(name, path, introspect=False), MENU_INTERFACE)
            _, layout = menu.GetLayout(0, -1, dbus.Array([], signature="s"))
            found = list(items(layout))
            if found:
                return menu, found
    return None, []


def main():
    if len(sys.argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    pid = int(sys.argv[1])
    bus = dbus.SessionBus()
    menu, found = None, []
    for _ in range(50):
        menu, found = find_menu(bus, pid)
        if menu is not None:
            break
        time.sleep(0.2)
    if menu is None:
        print(f"no tray menu found for process {pid}", file=sys.stderr)
        return 1
    if sys.argv[2] == "list":
        for item_id, label, enabled in found:
            print(f"{item_id}\t{'enabled' if enabled else 'disabled'}\t{label}")
        return 0
    if sys.argv[2] == "click" and len(sys.argv) == 4:
        for item_id, label, _ in found:
            if label == sys.argv[3]:
                menu.Event(item_id, "clicked", dbus.String("", variant_level=1), dbus.UInt32(int(time.time())))
                return 0
        print(f"no menu item labelled {sys.argv[3]!r}; items: {[l for _, l, _ in found]}", file=sys.stderr)
        return 1
    print(__doc__.strip(), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
