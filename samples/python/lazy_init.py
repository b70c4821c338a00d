"""lazy_init.py - a lazy-initialisation inversion.

The plugin registry creates each plugin's singleton lazily under
registry_lock, and the singleton's constructor registers its hooks, which
takes hooks_lock.  A hook that fires asks the registry for a plugin while
holding hooks_lock.  Registry then hooks on one path, hooks then registry
on the other: a potential deadlock, although this run (one after the
other) does not hang.
"""
import threading

registry_lock = threading.Lock()
hooks_lock = threading.Lock()
_plugins = {}
_hooks = []


class Plugin:
    def __init__(self, name):
        self.name = name
        with hooks_lock:
            _hooks.append(self.on_event)

    def on_event(self, event):
        return "%s saw %s" % (self.name, event)


def get_plugin(name):
    with registry_lock:
        plugin = _plugins.get(name)
        if plugin is None:
            plugin = _plugins[name] = Plugin(name)
        return plugin


def fire(event):
    with hooks_lock:
        results = [hook(event) for hook in _hooks]
        results.append(get_plugin("audit").on_event(event))
    return results


starter = threading.Thread(target=get_plugin, args=("audit",), name="starter")
starter.start()
starter.join()
firer = threading.Thread(target=fire, args=("boot",), name="firer")
firer.start()
firer.join()
print("lazy_init.py: %d plugins, %d hooks" % (len(_plugins), len(_hooks)))
