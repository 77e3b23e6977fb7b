import pytest

from acloud import RetryPolicy
from acloud import errors as E


class Recorder:
    def __init__(self):
        self.sleeps = []

    async def __call__(self, seconds):
        self.sleeps.append(seconds)


def failing(*errors, result="ok"):
    calls = []

    async def fn(attempt):
        calls.append(attempt)
        if len(calls) <= len(errors):
            raise errors[len(calls) - 1]
        return result

    return fn, calls


async def test_transient_errors_are_retried_until_success():
    sleep = Recorder()
    fn, calls = failing(E.error_for_status(503), E.TransportError("reset"), E.TimeoutError("t"))
    policy = RetryPolicy(max_attempts=5, initial_backoff=0.1, max_backoff=1.0)
    assert await policy.call(fn, idempotent=True, sleep=sleep) == "ok"
    assert calls == [1, 2, 3, 4]
    assert len(sleep.sleeps) == 3
    # full jitter: each wait lies in [0, min(max, initial * 2**(n-1))]
    for n, waited in enumerate(sleep.sleeps, start=1):
        assert 0 <= waited <= min(1.0, 0.1 * 2 ** (n - 1))


async def test_retry_after_is_honoured_and_capped():
    sleep = Recorder()
    fn, _ = failing(
        E.error_for_status(429, retry_after=2.5),
        E.error_for_status(503, retry_after=500.0),
    )
    policy = RetryPolicy(max_attempts=3, max_retry_after=30.0)
    assert await policy.call(fn, idempotent=True, sleep=sleep) == "ok"
    assert sleep.sleeps == [2.5, 30.0]


async def test_non_idempotent_post_is_not_retried_on_5xx_or_transport():
    for error in (E.error_for_status(500), E.TransportError("reset")):
        sleep = Recorder()
        fn, calls = failing(error)
        with pytest.raises(type(error)):
            await RetryPolicy().call(fn, idempotent=False, sleep=sleep)
        assert calls == [1]
        assert sleep.sleeps == []


async def test_non_idempotent_is_retried_on_429_which_was_not_processed():
    sleep = Recorder()
    fn, calls = failing(E.error_for_status(429, retry_after=1.0))
    assert await RetryPolicy().call(fn, idempotent=False, sleep=sleep) == "ok"
    assert calls == [1, 2]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 412, 501])
async def test_client_errors_are_not_retried(status):
    sleep = Recorder()
    fn, calls = failing(E.error_for_status(status))
    with pytest.raises(E.APIStatusError) as info:
        await RetryPolicy().call(fn, idempotent=True, sleep=sleep)
    assert info.value.status == status
    assert calls == [1]


async def test_gives_up_after_max_attempts_with_the_last_error():
    sleep = Recorder()
    errors = [E.error_for_status(500, message=f"n{i}") for i in range(5)]
    fn, calls = failing(*errors)
    with pytest.raises(E.ServerError, match="n2"):
        await RetryPolicy(max_attempts=3).call(fn, idempotent=True, sleep=sleep)
    assert calls == [1, 2, 3]


async def test_408_is_retried():
    fn, calls = failing(E.error_for_status(408))
    assert await RetryPolicy().call(fn, idempotent=True, sleep=Recorder()) == "ok"
    assert calls == [1, 2]


def test_policy_rejects_nonsense():
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="negative"):
        RetryPolicy(initial_backoff=-1)


async def test_only_retries_just_the_named_errors():
    damaged = E.IntegrityError("a flipped byte")
    fn, calls = failing(damaged, damaged, result="whole")
    policy = RetryPolicy(max_attempts=4)
    assert await policy.call(fn, idempotent=True, sleep=Recorder(), only=(E.IntegrityError,)) == (
        "whole"
    )
    assert calls == [1, 2, 3]
    # a reset is retried by the reads themselves, not a second time around them
    fn, calls = failing(E.TransportError("reset"))
    with pytest.raises(E.TransportError):
        await policy.call(fn, idempotent=True, sleep=Recorder(), only=(E.IntegrityError,))
    assert calls == [1]
