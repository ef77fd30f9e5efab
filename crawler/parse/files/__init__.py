"""Attachments (the files a notice links): which are downloaded and under what names
(`kinds`), and their text (`text`).  Pure, and apart from the notice extractor: the text
worker process (crawler.textpool) imports this and nothing of the page parsers."""
