#!/usr/bin/python3
"""Session-bus helpers for testing the installed tray app without a desktop.

  desktop-bus.py tray-host
      Owns org.kde.StatusNotifierWatcher and accepts every registration, so
      the app finds a tray host as on a real desktop. Prints "ready" once the
      name is owned and "registered ITEM" for each item, then serves until
      killed.

  desktop-bus.py click PID LABEL
      Clicks the tray menu item LABEL of the process PID through the
      com.canonical.dbusmenu interface that its StatusNotifierItem exports.

Uses Debian's python3-dbus and python3-gi, hence /usr/bin/python3.
"""

import sys
import time
import xml.etree.ElementTree as ElementTree

import dbus
import dbus.service
from dbus.mainloop.glib import DBusGMainLoop
from gi.repository import GLib

WATCHER_NAME = "org.kde.StatusNotifierWatcher"
WATCHER_PATH = "/StatusNotifierWatcher"
DBUSMENU = "com.canonical.dbusmenu"


class Watcher(dbus.service.Object):
    """A StatusNotifierWatcher that records items and reports a host."""

    def __init__(self, bus):
        self.items = []
        super().__init__(bus, WATCHER_PATH)

    @dbus.service.method(WATCHER_NAME, in_signature="s", sender_keyword="sender")
    def RegisterStatusNotifierItem(self, service, sender=None):
        # An item registers either a bus name or an object path of its sender.
        item = service if service.startswith(":") or "." in service else f"{sender}{service}"
        self.items.append(item)
        print(f"registered {item}", flush=True)
        self.StatusNotifierItemRegistered(item)

    @dbus.service.method(WATCHER_NAME, in_signature="s")
    def RegisterStatusNotifierHost(self, service):
        pass

    @dbus.service.signal(WATCHER_NAME, signature="s")
    def StatusNotifierItemRegistered(self, item):
        pass

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="ss", out_signature="v")
    def Get(self, interface, name):
        return self.GetAll(interface)[name]

    @dbus.service.method(dbus.PROPERTIES_IFACE, in_signature="s", out_signature="a{sv}")
    def GetAll(self, interface):
        return {
            "RegisteredStatusNotifierItems": dbus.Array(self.items, signature="s"),
            "IsStatusNotifierHostRegistered": dbus.Boolean(True),
            "ProtocolVersion": dbus.Int32(0),
        }


def serve_tray_host():
    DBusGMainLoop(set_as_default=True)
    bus = dbus.SessionBus()
    name = dbus.service.BusName(WATCHER_NAME, bus, do_not_queue=True)
    watcher = Watcher(bus)
    print("ready", flush=True)
    GLib.MainLoop().run()
    del name, watcher


def connections_of(bus, pid):
    """Returns the unique bus names that belong to the process pid."""
    daemon = bus.get_object("org.freedesktop.DBus", "/org/freedesktop/DBus")
    names = []
    for name in daemon.ListNames(dbus_interface="org.freedesktop.DBus"):
        if not name.startswith(":"):
            continue
        try:
            owner = daemon.GetConnectionUnixProcessID(name, dbus_interface="org.freedesktop.DBus")
        except dbus.DBusException:
            continue
        if owner == pid:
            names.append(str(name))
    return names


def find_menu_paths(bus, name, path="/"):
    """Returns the object paths of the connection name that implement DBUSMENU."""
    try:
        xml = bus.get_object(name, path, introspect=False).Introspect(
            dbus_interface="org.freedesktop.DBus.Introspectable", timeout=5
        )
    except dbus.DBusException:
        return []
    root = ElementTree.fromstring(str(xml))
    found = [path] if any(i.get("name") == DBUSMENU for i in root.findall("interface")) else []
    for node in root.findall("node"):
        child = node.get("name")
        found += find_menu_paths(bus, name, path.rstrip("/") + "/" + child)
    return found


def find_item(layout, label):
    item_id, properties, children = layout
    if str(properties.get("label", "")).replace("_", "") == label:
        return int(item_id)
    for child in children:
        found = find_item(child, label)
        if found is not None:
            return found
    return None


def click(pid, label):
    bus = dbus.SessionBus()
    # The tray appears shortly after the process starts, so look for a while.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        for name in connections_of(bus, pid):
            for path in find_menu_paths(bus, name):
                menu = dbus.Interface(bus.get_object(name, path, introspect=False), DBUSMENU)
                _revision, layout = menu.GetLayout(0, -1, ["label"])
                item_id = find_item(layout, label)
                if item_id is not None:
                    menu.Event(item_id, "clicked", dbus.String("", variant_level=1), dbus.UInt32(0))
                    print(f"clicked {label!r} (item {item_id} at {name} {path})")
                    return 0
        time.sleep(0.5)
    print(f"no tray menu item {label!r} found for process {pid}", file=sys.stderr)
    return 1


def main(argv):
    if argv[1:] == ["tray-host"]:
        serve_tray_host()
        return 0
    if len(argv) == 4 and argv[1] == "click":
        return click(int(argv[2]), argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
