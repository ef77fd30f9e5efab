"""A crawl spread over many processes on scrapy-redis: `tzgg worker`s fetch, one `tzgg ingest`
writes the archive.

`tzgg ingest` opens the runs, and puts a *job* in Redis: the listings, the revisits (with the
conditional headers the archive knows), what fetching needs of the registry (each site's
listings, hosts and overrides, `registry.FETCH_KEYS`: never a webhook or its secret) and the
crawl's bounds.  Workers (scrapy-redis: the request queue and start URLs in Redis) take any
job's requests, run the same spider as `tzgg crawl`, and push each record, pickled, onto the
job's item list; the ingester alone writes them.  The state a single process keeps in memory
is in Redis, per job: the detail pages requested (each is fetched once per crawl), each
listing walk's pages and pending requests, and the count of requests not yet answered.  When
that count is 0 and the item list is drained, the job is done and its runs are finished
exactly as `tzgg crawl` finishes them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import secrets
import time
import warnings
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlsplit

import redis
import scrapy
from scrapy.exceptions import IgnoreRequest, ScrapyDeprecationWarning
from scrapy_redis.queue import Base
from scrapy_redis.scheduler import Scheduler
from scrapy_redis.spiders import RedisMixin

from archive.storage.writer import as_record
from crawler.middlewares import sleep
from crawler.schema.urls import canonicalize, mask_url
from crawler.service.plan import fetch_plan
from crawler.sites.registry import Registry, fetch_view
from spiders.notices import NoticesSpider
from spiders.state import CrawlState

logger = logging.getLogger(__name__)

# scrapy-redis 0.9.1's scheduler calls what Scrapy 2.13+ deprecates (`spider=` to the stats,
# `Spider.log`): those warnings, from there, are not ours to fix.  Every other one still shows.
warnings.filterwarnings(
    "ignore", category=ScrapyDeprecationWarning, module=r"scrapy_redis\.scheduler"
)

SEEDS = "tzgg:seeds"  # the workers' start URLs: one JSON object per listing or revisit
QUEUE = "tzgg:requests"  # scrapy-redis's shared request queue
JOB_TTL = 24 * 3600  # a job's keys outlive a crashed ingester by a day, no more
ALIVE_TTL = 60  # the ingester renews its job's `alive` key; without it, workers drop the job

WORKER_SETTINGS = {
    "SCHEDULER": "crawler.service.distributed.WorkerScheduler",
    "SCHEDULER_QUEUE_KEY": QUEUE,
    "SCHEDULER_QUEUE_CLASS": "crawler.service.distributed.HostQueue",
    "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
    "SCHEDULER_DUPEFILTER_KEY": "tzgg:dupefilter",
    "SCHEDULER_PERSIST": True,  # one worker stopping must not clear the others' queue
    "REDIS_START_URLS_KEY": SEEDS,
    # records go to the job's item list, written by `tzgg ingest`, as the callbacks yield them
    "ITEM_PIPELINES": {},
}


def worker_settings(settings, redis_url: str):
    """A crawl's settings turned into a worker's: the shared queue, the delay between two
    requests to a host kept in Redis for all workers at once (a worker's own slot delay, or
    AutoThrottle's, would only move requests after their turn), no archive, no time bound
    (the ingester's)."""
    settings.setdict(WORKER_SETTINGS, priority="cmdline")
    middlewares = dict(settings.getdict("DOWNLOADER_MIDDLEWARES"))
    middlewares["crawler.service.distributed.SharedHostDelay"] = 585  # before redirects
    settings.set("DOWNLOADER_MIDDLEWARES", middlewares, priority="cmdline")
    spider_mw = dict(settings.getdict("SPIDER_MIDDLEWARES"))
    spider_mw["crawler.service.distributed.JobRecords"] = 950  # next to the spider
    settings.set("SPIDER_MIDDLEWARES", spider_mw, priority="cmdline")
    extensions = dict(settings.getdict("EXTENSIONS"))
    extensions["crawler.service.extension.CrawlService"] = None  # the ingester plans
    settings.set("EXTENSIONS", extensions, priority="cmdline")
    settings.set("TZGG_HOST_DELAY", settings.getfloat("DOWNLOAD_DELAY"), priority="cmdline")
    settings.set("DOWNLOAD_DELAY", 0, priority="cmdline")
    settings.set("AUTOTHROTTLE_ENABLED", False, priority="cmdline")
    settings.set("TZGG_MAX_CRAWL_SECONDS", 0, priority="cmdline")
    settings.set("REDIS_URL", redis_url, priority="cmdline")
    return settings


def job_key(job: str, *parts: str) -> str:
    return ":".join(("tzgg:job", job, *parts))


def _walk_id(walk: str) -> str:
    return hashlib.sha1(canonicalize(walk).encode()).hexdigest()[:16]


# One listing request of a walk is done: the same bookkeeping as CrawlState.advance_walk,
# atomic across workers.  KEYS: the walk's hash, its set of pages seen, of pages refused.
# ARGV: got a response (0/1), the failure ('' if none), the page bound (0: none), why the
# page's further pages are not followed ('' if they are), then their canonical URLs.
_ADVANCE = """
local h, seen, refused = KEYS[1], KEYS[2], KEYS[3]
redis.call('HINCRBY', h, 'pending', -1)
redis.call('HINCRBY', h, 'pages', tonumber(ARGV[1]))
-- the first failure is the walk's; a note ('nodelist:…') gives way to any failure
local cur = redis.call('HGET', h, 'failed')
local note = 'nodelist:'
if ARGV[2] ~= '' and (cur == false or (string.sub(cur, 1, #note) == note
    and string.sub(ARGV[2], 1, #note) ~= note)) then
  redis.call('HSET', h, 'failed', ARGV[2])
end
local accepted = {}
local bound = tonumber(ARGV[3])
for i = 5, #ARGV do
  if redis.call('SISMEMBER', seen, ARGV[i]) == 0 then
    if ARGV[4] ~= '' then
      redis.call('HSETNX', h, 'stop', ARGV[4])
      redis.call('SADD', refused, ARGV[i])
      redis.call('EXPIRE', refused, JOB_TTL)
    elseif bound > 0 and redis.call('SCARD', seen) >= bound then
      redis.call('HSET', h, 'bounded', 1)
      break
    else
      redis.call('SADD', seen, ARGV[i])
      redis.call('HINCRBY', h, 'pending', 1)
      table.insert(accepted, ARGV[i])
    end
  end
end
local state = redis.call('HMGET', h, 'pending', 'pages', 'failed', 'bounded', 'stop')
local cut = 0
if tonumber(state[1]) == 0 then
  cut = #redis.call('SDIFF', refused, seen)
end
return {state[1], state[2], state[3] or '', state[4] or '0', accepted, state[5] or '', cut}
""".replace("JOB_TTL", str(JOB_TTL))


# A callback starts only while its job is alive, and counts itself busy (atomically: an
# ingester that ends the job then waits for the count to fall to 0, and so gets its records).
# KEYS: the job's `alive`, `busy`.  ARGV: the TTL of `busy`.
_ENTER = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[1]))
return 1
"""


# A host's turn, across all workers: taken when `delay` ms have passed since the last request
# any worker sent there, else the ms left to wait.  KEYS: the host's key.  ARGV: the delay (ms).
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = tonumber(redis.call('GET', KEYS[1]) or '0') + tonumber(ARGV[1]) - now
if wait > 0 then return wait end
redis.call('SET', KEYS[1], now, 'PX', tonumber(ARGV[1]) + 60000)
return 0
"""


# Take the next request of the queue whose turn came first.  A queue holds one job's requests
# to one host (member "JOB|HOST" of the set, scored by when it may be served again), so that
# two crawls of one host take turns, and a crawl that ended takes its queues with it.  A queue
# that ran dry leaves the set.  KEYS: the set.  ARGV: the delay (ms), the queues' key prefix.
_POP = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for _ = 1, 50 do
  local member = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1)[1]
  if not member then return false end
  local q = ARGV[2] .. member
  local item = redis.call('ZRANGE', q, 0, 0)[1]
  if item then
    redis.call('ZREMRANGEBYRANK', q, 0, 0)
    redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), member)
    return item
  end
  redis.call('ZREM', KEYS[1], member)
end
return false
"""


# A request put back until its host's turn: into its queue, and the queue due no sooner than
# `wait` ms from now (a queue due later stays so).  KEYS: the queue, the set.  ARGV: the
# request's score, the request, the queue's member, the wait (ms).
_PUSH_LATER = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[2], 'GT', now + tonumber(ARGV[4]), ARGV[3])
"""

DUE = "tzgg_due_ms"  # meta key: put the request back in its queue, due in this many ms


class HostQueue(Base):
    """The workers' shared request queue: a queue per job and host (by priority, then first in
    first out), served in turn as each one's turn comes (DOWNLOAD_DELAY apart).  A worker's
    request slots then never sit waiting behind one host while 199 others are due, a crawl
    queued while another runs gets its share at once, even on the same host, and a crawl that
    ends takes its queued requests with it (`drop_job`).  (scrapy-redis's PriorityQueue is one
    sorted set, which hands out one host's requests back to back.)  SharedHostDelay keeps the
    host's delay exact when two crawls share it."""

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        self.hosts = queue_set(self.key)
        self.prefix = queue_prefix(self.key)
        self.delay_ms = int(spider.settings.getfloat("TZGG_HOST_DELAY") * 1000)
        self._pop = server.register_script(_POP)
        self._push_later = server.register_script(_PUSH_LATER)

    def __len__(self):
        return self.server.zcard(self.hosts)

    def push(self, request):
        host = (urlsplit(request.url).hostname or "").lower()
        member = f"{request.meta.get('tzgg_job', '')}|{host}"
        score = -request.priority * 1e13 + time.time() * 1e3  # exact in a double until 2286
        wait = request.meta.pop(DUE, None)
        if wait is not None:
            data = self._encode_request(request)
            self._push_later(
                keys=[self.prefix + member, self.hosts], args=[score, data, member, wait]
            )
            return
        with self.server.pipeline() as pipe:
            pipe.execute_command("ZADD", self.prefix + member, score, self._encode_request(request))
            # due at once when new (score 0: no clock but Redis's is compared with)
            pipe.execute_command("ZADD", self.hosts, "NX", 0, member)
            pipe.execute()

    def pop(self, timeout=0):
        data = self._pop(keys=[self.hosts], args=[self.delay_ms, self.prefix])
        return self._decode_request(data) if data else None

    def clear(self):
        keys = [self.hosts, *self.server.scan_iter(match=self.prefix + "*", count=1000)]
        self.server.delete(*keys)


NUDGE = "tzgg_nudge"  # meta key of a request that only asks the engine to look again
# how often an idle worker looks for requests turned due: when nothing else wakes its engine,
# a host's turn is taken up to this late, once per request to the host (31 times for a host
# of 30 notices: at 0.2 s, up to 6 s on a 31 s crawl bound by politeness)
NUDGE_EVERY = 0.05


class WorkerScheduler(Scheduler):
    """scrapy-redis's scheduler, which drops a nudge: a worker's requests come from other
    processes, and turn due as their host's turn comes, while Scrapy asks its scheduler again
    only when something happens here (or every 5 s); the spider nudges it (`engine.crawl`)."""

    def enqueue_request(self, request):
        if request.meta.get(NUDGE):
            return False
        return super().enqueue_request(request)


def queue_set(key: str = QUEUE) -> str:
    return f"{key}:queues"


def queue_prefix(key: str = QUEUE) -> str:
    return f"{key}:q:"


def drop_job(server, job: str) -> None:
    """The job's queued requests go, unfetched, and their turns with them."""
    members = [m for m in server.zrange(queue_set(), 0, -1) if m.startswith(f"{job}|".encode())]
    if members:
        server.zrem(queue_set(), *members)
        server.delete(*(queue_prefix().encode() + m for m in members))


# A request whose host's turn is further off than this goes back to the queue rather than
# holding one of the worker's CONCURRENT_REQUESTS meanwhile (a worker's first request to a host
# waits a whole turn behind its robots.txt).
REQUEUE_WAIT = 0.25


class SharedHostDelay:
    """Downloader middleware of the workers: per-host politeness holds across all of them, so
    N workers never ask one site N times as often.  The delay is the host's registry `delay`,
    else the worker's DOWNLOAD_DELAY (then 0 for Scrapy's own slots, and no AutoThrottle).
    A request whose turn is more than REQUEUE_WAIT away goes back to its queue, due then."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.delay = crawler.settings.getfloat("TZGG_HOST_DELAY")
        self.server = redis.Redis.from_url(crawler.settings.get("REDIS_URL"))
        self.take = self.server.register_script(_TAKE)
        # requests of this worker waiting for a host's turn; past this many, one goes back to
        # the queue, so that one slow host cannot hold all the worker's requests
        self.per_host = crawler.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")
        self.waiting: Counter = Counter()

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request, spider=None):
        host = (urlsplit(request.url).hostname or "").lower()
        delay = self.delay
        job_id = request.meta.get("tzgg_job")
        if job_id is not None:  # (robots.txt, which Scrapy asks for itself, has none)
            job = self.crawler.spider.current(job_id)
            if job is None:  # its crawl is over: not fetched (the errback drops it)
                raise IgnoreRequest("the crawl this request belongs to is over")
            delay = (job.spec.get("delays") or {}).get(host, delay)
        if delay <= 0:
            return None
        if self.waiting[host] >= self.per_host and job_id is not None:
            return _later(request, delay * 1000)  # behind the others, not a busy loop
        self.waiting[host] += 1
        try:  # taken at the moment of sending, not reserved ahead: a late timer cannot crowd
            while (wait := self.take(keys=[f"tzgg:host:{host}"], args=[int(delay * 1000)])) > 0:
                if job_id is not None and wait > REQUEUE_WAIT * 1000:
                    return _later(request, wait)
                await sleep(wait / 1000)
                if job_id is not None and self.crawler.spider.current(job_id) is None:
                    raise IgnoreRequest("the crawl this request belongs to is over")
        finally:
            self.waiting[host] -= 1
        return None


def _later(request, wait_ms: float):
    """The request again, for the queue: due in wait_ms (HostQueue.push)."""
    return request.replace(dont_filter=True, meta={**request.meta, DUE: int(wait_ms)})


class Job:
    """What a worker needs of a job, read once from Redis."""

    def __init__(self, server, job: str, spec: dict):
        self.id = job
        self.spec = spec
        self.items = job_key(job, "items")
        self.pending = job_key(job, "pending")
        self.alive = job_key(job, "alive")
        self.busy = job_key(job, "busy")  # callbacks under way, which the ingester waits for
        self.claimed = job_key(job, "claimed")
        self.validators = _Validators(server, job_key(job, "validators"))
        self.state: dict = {}  # the spider's per-job attributes, swapped in per callback


class _Forgetful(dict):
    """A dict that keeps nothing."""

    def __setitem__(self, key, value) -> None:
        pass


class _Validators:
    """The archive's validators of each attachment (canonical URL -> etag, ...), in Redis."""

    def __init__(self, server, key: str):
        self.server, self.key = server, key

    def get(self, url: str):
        raw = self.server.hget(self.key, url)
        return json.loads(raw) if raw else None

    def __getitem__(self, url: str):
        value = self.get(url)
        if value is None:
            raise KeyError(url)
        return value

    def __contains__(self, url: str) -> bool:
        return bool(self.server.hexists(self.key, url))


@dataclass
class JobRecord:
    """A record a worker's callback yielded for a job."""

    job: str
    record: object  # Fetch | Listed | WalkEnd


class JobRecords:
    """Spider middleware of the workers: each record a callback yields goes to its job's list
    in Redis (from which `tzgg ingest` hands it to the crawl's one ArchiveWriter) at once, in
    order, before the callback goes on.  Not an item pipeline: Scrapy reads a callback's
    output ahead of its item pipeline (a queue of 2 x CONCURRENT_ITEMS), so a listing page's
    record would leave after the walk step that follows it, and another worker could end the
    walk first; the ingester must read a walk's end after every page of it."""

    def __init__(self, crawler):
        self.server = redis.Redis.from_url(crawler.settings.get("REDIS_URL"))

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _push(self, item) -> bool:
        if not isinstance(item, JobRecord):
            return False
        record = pickle.dumps(as_record(item.record), protocol=5)
        self.server.rpush(job_key(item.job, "items"), record)
        return True

    def process_spider_output(self, response, result, spider=None):
        for x in result:
            if not self._push(x):
                yield x

    async def process_spider_output_async(self, response, result, spider=None):
        async for x in result:
            if not self._push(x):
                yield x


class RedisState(CrawlState):
    """A job's crawl state as a worker keeps it: the walks and the pages claimed are the
    job's, in Redis, shared by every worker; what one worker learns of files is not kept
    (another worker may hold the notice that fetches a shared file)."""

    def __init__(self, server, job: Job, scripts):
        spec = job.spec
        reg = Registry.from_dict(spec["registry"]) if spec["registry"] else None
        super().__init__(
            fetch_plan(reg, spec["site_of"]),
            max_pages=spec["max_pages"],
            files_on=spec["attachments"],
            file_max=spec["attachment_max_bytes"],
            validators=job.validators,
        )
        self.server, self.job, self.advance = server, job, scripts
        self.walks = {}  # in Redis
        self.file_results = _Forgetful()
        self.file_texts = _Forgetful()

    def claim(self, key: str) -> bool:
        """True the first time the job asks for the page, whichever worker asks."""
        return key in self.requested or bool(self.server.sadd(self.job.claimed, key))

    def new_items(self, walk: str, keys: list[str]) -> int:
        if not keys:
            return 0
        items = job_key(self.job.id, "items", _walk_id(walk))
        pipe = self.server.pipeline()
        pipe.sadd(items, *keys)
        pipe.expire(items, JOB_TTL)
        return int(pipe.execute()[0])

    def advance_walk(
        self, walk: str, keys: list[str], failed: str | None, page: bool, stop: str | None = None
    ):
        wid = _walk_id(walk)
        walk_keys = [job_key(self.job.id, k, wid) for k in ("walk", "seen", "refused")]
        pending, pages, failure, bounded, accepted, why, cut = self.advance(
            keys=walk_keys,
            args=[int(page), failed or "", self.max_pages, stop or "", *keys],
        )
        state = {
            "pending": int(pending),
            "pages": int(pages),
            "failed": failure.decode() or None,
            "bounded": bounded == b"1",
            "stop": why.decode() or None,
            "cut": int(cut) > 0,
        }
        return [k.decode() for k in accepted], state


class WorkerSpider(RedisMixin, NoticesSpider):
    """NoticesSpider serving every job in Redis; its callbacks run under their job's state."""

    name = "notices"
    share_files = False  # another worker may hold the notice that fetches a shared file
    # seeds (listings, revisits) read at a time; scrapy-redis reads CONCURRENT_REQUESTS, which
    # fed a 1,000-listing crawl to the shared queue 16 a second
    redis_batch_size = 1000

    def __init__(self, **kw):
        scrapy.Spider.__init__(self, **kw)
        self.jobs: dict[str, Job | None] = {}
        self.job: Job | None = None
        self.state: RedisState | None = None  # the state of the job a callback runs for

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.setup_redis(crawler)
        spider.advance = spider.server.register_script(_ADVANCE)
        spider.enter = spider.server.register_script(_ENTER)
        crawler.signals.connect(spider._poll_seeds, signal=scrapy.signals.spider_opened)
        return spider

    def _poll_seeds(self, spider=None):
        """A busy worker takes new crawls' seeds too (scrapy-redis reads them when idle only),
        so a crawl queued while another runs starts at once."""
        from twisted.internet.task import LoopingCall

        def poll():
            if self.count_size(self.redis_key):
                self.schedule_next_requests()

        def nudge():  # the engine asks the scheduler for requests that came or turned due
            if self.server.zcard(queue_set()):
                self.crawler.engine.crawl(
                    scrapy.Request("http://127.0.0.1/", meta={NUDGE: True}, dont_filter=True)
                )

        self.poller = LoopingCall(poll)
        self.poller.start(1.0, now=False)
        self.nudger = LoopingCall(nudge)
        self.nudger.start(NUDGE_EVERY, now=False)

    async def start(self):
        for request in self.next_requests():
            yield request

    # -- jobs ---------------------------------------------------------------------------------

    def current(self, job_id: str) -> Job | None:
        """The job, read once; None when it is over (stopped, or finished) or unknown."""
        if job_id not in self.jobs:
            # a new crawl: forget those that ended, and what this worker held for them
            over = [j for j, job in self.jobs.items() if job is None or self._over(j)]
            for j in over:
                del self.jobs[j]
            raw = self.server.get(job_key(job_id))
            self.jobs[job_id] = Job(self.server, job_id, json.loads(raw)) if raw else None
            if self.jobs[job_id] is not None:
                self._load(self.jobs[job_id])
        if self.jobs[job_id] is not None and self._over(job_id):
            self.jobs[job_id] = None
        return self.jobs[job_id]

    def _over(self, job_id: str) -> bool:
        """Its ingester finished it, stopped it, or died (and stopped renewing `alive`)."""
        return not self.server.exists(job_key(job_id, "alive"))

    def _use(self, job_id: str) -> Job | None:
        """Work for the job: its state is the spider's (None: the job is over or unknown,
        drop its requests)."""
        job = self.job = self.current(job_id)
        if job is not None:
            self.state = job.state
        return job

    def _load(self, job: Job) -> None:
        job.state = RedisState(self.server, job, self.advance)

    # -- seeds and the per-job state a single process keeps in memory -------------------------

    def make_request_from_data(self, data):
        seed = json.loads(data)
        job = self._use(seed["job"])
        if job is None:
            return []
        if seed["kind"] == "listing":
            request = self._listing_request(seed["url"], seed["url"])
        else:  # a revisit: claimed by the ingester, so that a listing's link finds it asked
            request = self._revisit(seed["url"], seed["site"], seed["headers"])
        request.meta["tzgg_job"] = job.id
        return [request]

    def _revisit(self, url: str, site: str, headers: dict):
        self.state.requested = {canonicalize(url)}  # see RedisState.claim
        try:
            return self._detail_request(url, site, headers)
        finally:
            self.state.requested = set()

    # -- callbacks: run under their job, records pushed, the job's count of requests kept -----

    def _run(self, method, arg):
        """Run a callback under its job: its records leave through `JobRecords` one by one,
        each before the callback goes on.  The job's count holds this request until the
        callback is over, and each request it makes from before it is scheduled."""
        meta = arg.meta if isinstance(arg, scrapy.http.Response) else arg.request.meta
        job = self._use(meta.get("tzgg_job", ""))
        if job is None or not self.enter(keys=[job.alive, job.busy], args=[JOB_TTL]):
            return
        out = iter(method(self, arg) or ())
        try:
            while True:
                self.job, self.state = job, job.state  # another job's callback may have run
                try:
                    x = next(out)
                except StopIteration:
                    break
                except Exception:  # a bug in one callback must not stall the job's count
                    logger.exception("callback failed on %s", getattr(arg, "url", arg))
                    break
                if isinstance(x, scrapy.Request):
                    x.meta["tzgg_job"] = job.id
                    self.server.incr(job.pending)
                    yield x
                else:
                    yield JobRecord(job.id, x)
        finally:
            with self.server.pipeline() as pipe:
                pipe.decr(job.pending)
                pipe.decr(job.busy)
                for key in (job.items, job.pending, job.busy):  # whatever happened meanwhile
                    pipe.expire(key, JOB_TTL)
                pipe.execute()

    # NoticesSpider's callbacks, each run under its job
    def parse_listing(self, response):
        return self._run(NoticesSpider.parse_listing, response)

    def listing_failed(self, failure):
        return self._run(NoticesSpider.listing_failed, failure)

    def parse_detail(self, response):
        return self._run(NoticesSpider.parse_detail, response)

    def detail_failed(self, failure):
        return self._run(NoticesSpider.detail_failed, failure)

    def parse_part(self, response):
        return self._run(NoticesSpider.parse_part, response)

    def part_failed(self, failure):
        return self._run(NoticesSpider.part_failed, failure)

    def parse_file(self, response):
        return self._run(NoticesSpider.parse_file, response)

    def file_failed(self, failure):
        return self._run(NoticesSpider.file_failed, failure)


# -- the ingester's side ------------------------------------------------------------------------


def connect(url: str):
    """A Redis client, checked now: a wrong URL is one clear error, not a stalled crawl."""
    try:
        server = redis.Redis.from_url(url, socket_connect_timeout=10)
        server.ping()
    except (redis.RedisError, ValueError) as exc:
        message = str(exc).replace(url, mask_url(url))  # logs end up in journals
        raise ConnectionError(f"cannot reach Redis at {mask_url(url)}: {message}") from None
    return server


def start_job(server, spec: dict, revisits: list[tuple[str, str, dict]], validators: dict) -> str:
    """Put a job in Redis and its seeds in the workers' start list; its id."""
    job = secrets.token_hex(8)
    spec = dict(spec, started=time.time())
    with server.pipeline() as pipe:
        pipe.set(job_key(job), json.dumps(spec, ensure_ascii=False), ex=JOB_TTL)
        pipe.set(job_key(job, "alive"), 1, ex=ALIVE_TTL)
        seeds = []
        for url in spec["listing_urls"]:
            wid = _walk_id(url)
            pipe.hset(job_key(job, "walk", wid), mapping={"pending": 1, "pages": 0})
            pipe.expire(job_key(job, "walk", wid), JOB_TTL)
            pipe.sadd(job_key(job, "seen", wid), canonicalize(url))
            pipe.expire(job_key(job, "seen", wid), JOB_TTL)
            seeds.append({"job": job, "kind": "listing", "url": url})
        claimed = {""}  # the set exists from the start, so that it expires
        for url, site, headers in revisits:
            key = canonicalize(url)
            if key not in claimed:
                claimed.add(key)
                seeds.append(
                    {"job": job, "kind": "revisit", "url": url, "site": site, "headers": headers}
                )
        pipe.sadd(job_key(job, "claimed"), *claimed)
        pipe.expire(job_key(job, "claimed"), JOB_TTL)
        if validators:
            pipe.hset(
                job_key(job, "validators"),
                mapping={k: json.dumps(v) for k, v in validators.items()},
            )
            pipe.expire(job_key(job, "validators"), JOB_TTL)
        pipe.set(job_key(job, "pending"), len(seeds), ex=JOB_TTL)
        pipe.rpush(SEEDS, *(json.dumps(s, ensure_ascii=False) for s in seeds))
        pipe.execute()
    return job


def job_spec(settings, plan, reg) -> dict:
    """What the workers need of a crawl plan (crawler.service.plan): the plan's revisits and
    the attachments' validators travel beside it (`start_job`)."""
    return {
        "listing_urls": plan.listing_urls,
        "site_of": plan.site_of,
        # what fetching needs of the registry, no more: never its webhooks or their secrets
        "registry": fetch_view(reg, plan.site_of) if reg is not None else None,
        "max_pages": settings.getint("TZGG_MAX_LISTING_PAGES"),
        "attachments": settings.getbool("TZGG_ATTACHMENTS"),
        "attachment_max_bytes": settings.getint("TZGG_ATTACHMENT_MAX_BYTES"),
        # hosts whose registry entry sets its own `delay`, for every worker's SharedHostDelay
        "delays": plan.delays,
    }


def drain(
    server, job: str, write, *, flush, idle_timeout: float, limit: float = 0, stop=lambda: False
) -> str:
    """Write the job's records as they come until it is done: 'done', 'stopped' (asked to),
    'time_limit' (after `limit` s, if not 0), 'stalled' (nothing came for `idle_timeout` s
    while requests were still out: a worker died holding them, or none is running), or
    'lapsed' (this process did not renew the job in time, paused say, and the workers dropped
    it).  `flush` commits whenever the list runs dry.  A job cut short is over for the workers
    at once, and what they had fetched is still written: nothing fetched is lost."""
    items, pending, alive = job_key(job, "items"), job_key(job, "pending"), job_key(job, "alive")
    last = began = renewed = time.monotonic()
    outcome = None
    while outcome is None:
        now = time.monotonic()
        if stop():
            outcome = "stopped"
        elif limit and now - began > limit:
            outcome = "time_limit"
        elif now - last > idle_timeout:
            outcome = "stalled"
        elif now - renewed > ALIVE_TTL / 6 and not server.expire(alive, ALIVE_TTL):
            outcome = "lapsed"
        else:
            renewed = renewed if now - renewed <= ALIVE_TTL / 6 else now
            raw = server.lpop(items)
            if raw is None:
                flush()
                got = server.blpop([items], timeout=1)
                raw = got[1] if got is not None else None
            if raw is not None:
                write(pickle.loads(raw))
                last = time.monotonic()
            elif int(server.get(pending) or 0) <= 0 and not server.llen(items):
                return "done"
    server.delete(alive)  # workers drop the job's requests from now on
    busy, until = job_key(job, "busy"), time.monotonic() + 60
    while True:  # and the callbacks under way at that moment end, with their records
        done = int(server.get(busy) or 0) <= 0  # (a callback pushes its records, then leaves)
        while (raw := server.lpop(items)) is not None:
            write(pickle.loads(raw))
        if done or time.monotonic() > until:
            return outcome
        time.sleep(0.2)


def end_job(server, job: str) -> None:
    """Workers drop what is left of the job (its `alive` key goes first); its keys go."""
    server.delete(job_key(job, "alive"))
    drop_job(server, job)
    keys = [job_key(job).encode(), *server.scan_iter(match=job_key(job, "*"), count=1000)]
    for i in range(0, len(keys), 500):
        server.delete(*keys[i : i + 500])
