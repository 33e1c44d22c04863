"""The pytest plugin, as an integrator's test suite sees it: logged-in clients that follow the mock's clock when a
test moves it, and a clock back to real time at each test."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from jesign_sdk import Client
from mock_provider.pytest_plugin import MockServer

pytest_plugins = ["pytester"]


@pytest.mark.live
def test_fixtures_give_a_logged_in_client(jesign_mock: MockServer, jesign_client: Callable[..., Client]) -> None:
    client = jesign_client("luc.martin")
    assert client.me().id == "usr_luc_martin"
    assert client.registration.status().next_action == "confirm_profile"
    client.registration.confirm_profile(mobile_number="0623456789")
    assert requests.get(f"{jesign_mock.url}/healthz", timeout=5).status_code == 200


@pytest.mark.live
def test_each_test_starts_from_the_seed(jesign_mock: MockServer, jesign_client: Callable[..., Client]) -> None:
    # The previous test confirmed Luc's profile; the reset forgot it.
    assert jesign_client("luc.martin").registration.status().next_action == "confirm_profile"


@pytest.mark.live
def test_the_plugin_works_in_another_project(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        from datetime import datetime, timedelta, timezone

        import requests

        from jesign_sdk import Client


        def move_clock(mock, seconds):
            requests.post(f"{mock.url}/_mock/clock/advance", json={"seconds": seconds}, timeout=10)


        def test_integrator(jesign_client):
            client = jesign_client("marie.dupont")
            assert client.me().given_name == "Marie"


        def test_a_day_later(jesign_mock, jesign_client):
            move_clock(jesign_mock, 86400)
            assert jesign_client("marie.dupont").me().given_name == "Marie"


        def test_a_year_earlier(jesign_mock):
            move_clock(jesign_mock, -365 * 86400)
            client = Client(jesign_mock.url, clock=jesign_mock.clock)
            client.login_with_hint("luc.martin")
            assert client.me().given_name == "Luc"


        def test_each_test_starts_at_real_time(jesign_mock):
            clock = requests.get(f"{jesign_mock.url}/_mock/clock", timeout=10).json()
            assert clock["frozen"] is False
            assert abs(datetime.fromisoformat(clock["now"]) - datetime.now(timezone.utc)) < timedelta(minutes=1)
        """
    )
    result = pytester.runpytest_inprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
