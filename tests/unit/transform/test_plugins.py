"""Transform plugins (netargus.transform.plugins): found through an installed package's entry
point or a module named in $NETARGUS_PLUGINS, applied in the profile's order, refused by name
when missing. The example plugin is tests/plugins/netargus_drop_loopbacks.py."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from netargus import plugins
from netargus.config import ConfigError
from netargus.model import Sample
from netargus.transform import plugins as transform_plugins
from netargus.transform.plugins import apply, resolve, transforms
from tests.helpers import paths
from tests.helpers.plugins import install_dist

PLUGIN = paths.TESTS / "plugins" / "netargus_drop_loopbacks.py"
T = datetime(2026, 11, 30, 12, tzinfo=UTC)


def sample(if_name: str, value: int = 1) -> Sample:
    return Sample(ts=T, device="r1", source="snmp", metric="interface.in_octets", value=value,
                  kind="counter", labels=(("ifIndex", "1"), ("ifName", if_name)))


@pytest.fixture(autouse=True)
def none_installed(monkeypatch) -> Iterator[None]:
    """Each test starts and ends with no transform known."""
    monkeypatch.setattr(transform_plugins, "_REGISTERED", {})
    monkeypatch.delitem(sys.modules, "netargus_drop_loopbacks", raising=False)
    monkeypatch.delenv("NETARGUS_PLUGINS", raising=False)
    plugins.import_named.cache_clear()
    yield
    plugins.import_named.cache_clear()
    sys.modules.pop("netargus_drop_loopbacks", None)


def test_an_unknown_transform_is_refused_by_name():
    assert transforms() == {}
    with pytest.raises(ConfigError, match="transform 'drop_loopbacks' is not installed "
                                          r"\(installed: none; see netargus.transform.plugins\)"):
        resolve(["drop_loopbacks"])
    assert resolve([]) == []


def test_a_plugins_folder_module_registers_itself(tmp_path, monkeypatch):
    shutil.copy(PLUGIN, tmp_path / "netargus_drop_loopbacks.py")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("NETARGUS_PLUGINS", " netargus_drop_loopbacks , ")
    (drop,) = resolve(["drop_loopbacks"])
    kept = apply([drop], [sample("lo"), sample("Gi0/1"), sample("Loopback0"), sample("Null0"),
                          sample("lo0"), sample("long-haul")])
    assert [dict(s.labels)["ifName"] for s in kept] == ["Gi0/1", "long-haul"]


def test_an_installed_package_registers_through_its_entry_point(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(install_dist(
        tmp_path / "site", PLUGIN, "netargus.transforms", "drop_loopbacks", "drop_loopbacks")))
    assert list(transforms()) == ["drop_loopbacks"]
    assert transforms()["drop_loopbacks"].__name__ == "drop_loopbacks"


def test_transforms_run_in_the_profile_s_order():
    def double(samples):
        return [*samples, *samples]

    def first_only(samples):
        return samples[:1]

    transform_plugins.register("double", double)
    transform_plugins.register("first_only", first_only)
    two = [sample("a", 1), sample("b", 2)]
    assert [s.value for s in apply(resolve(["double", "first_only"]), two)] == [1]
    assert [s.value for s in apply(resolve(["first_only", "double"]), two)] == [1, 1]


def test_a_transform_that_returns_no_samples_list_is_an_error():
    transform_plugins.register("broken", lambda samples: None)
    with pytest.raises(TypeError, match="must return a list of Sample"):
        apply(resolve(["broken"]), [sample("a")])


def test_a_plugins_variable_naming_a_missing_or_broken_module_is_a_config_error(
        tmp_path, monkeypatch):
    monkeypatch.setenv("NETARGUS_PLUGINS", "netargus_no_such_plugin")
    with pytest.raises(ConfigError, match=r"\$NETARGUS_PLUGINS names 'netargus_no_such_plugin',"
                                          r" which cannot be imported: ModuleNotFoundError: "):
        transforms()
    (tmp_path / "netargus_broken_plugin.py").write_text("raise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("NETARGUS_PLUGINS", "netargus_broken_plugin")
    plugins.import_named.cache_clear()
    with pytest.raises(ConfigError, match="'netargus_broken_plugin', which cannot be imported: "
                                          "RuntimeError: boom"):
        transforms()
    sys.modules.pop("netargus_broken_plugin", None)
