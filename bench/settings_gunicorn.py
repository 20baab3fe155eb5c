"""Settings of the submit-throughput benchmark (bench/submit_throughput.py): the site's
own, read from the environment like production, with the residents' rate limits raised
out of reach. One client address sends thousands of reports in 20 s, which the real
limits (10 per 10 minutes per address) would answer with 429; raised rather than off,
so every request still pays for counting in Redis as it does in production."""

from renewal.settings import *  # noqa: F403

GRIEVANCE_RATE_LIMITS = {"address": (10**9, 10 * 60), "phone": (10**9, 24 * 60 * 60)}
