"""The baseline for bench_crawl.py: a bare Scrapy spider that only fetches the given pages."""

import scrapy


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, urls_file: str, **kw):
        super().__init__(**kw)
        with open(urls_file) as f:
            self.urls = [line.strip() for line in f if line.strip()]

    async def start(self):
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse)

    def parse(self, response):
        return None
