"""Counting live ORM instances, shared by django_case.py and sqlalchemy_case.py."""

import gc
import tracemalloc
import weakref


class LiveCounter:
    """Count live model instances: created minus collected, with gc.collect()
    every ``step`` creations (prefetched objects form cycles), keeping the
    highest count seen right after a collection, and the traced memory at that
    moment (the memory the iteration really holds, without the garbage that
    waits for the collector). Each ORM's hook calls seen() for every instance
    it creates."""

    def __init__(self, step):
        self.step = max(1, step)
        self.active = False

    def seen(self, instance):
        if not self.active:
            return
        self.live += 1
        self.created += 1
        self.refs.add(weakref.ref(instance, self.collected))
        if self.created % self.step == 0:
            gc.collect()
            self.peak = max(self.peak, self.live)
            self.traced_peak = max(self.traced_peak, tracemalloc.get_traced_memory()[0])

    def collected(self, ref):
        self.live -= 1
        self.refs.discard(ref)

    def start(self):
        gc.collect()
        self.refs = set()
        self.live = self.created = self.peak = 0
        tracemalloc.start()
        self.traced_base = self.traced_peak = tracemalloc.get_traced_memory()[0]
        self.active = True

    def stop(self):
        self.active = False
        tracemalloc.stop()
        gc.collect()
        return self.peak, (self.traced_peak - self.traced_base) / 1024


class TracedMemory:
    """Traced memory over a block, in KiB above what was traced at its start:
    ``peak`` (tracemalloc's peak) and ``end`` (what was still traced at its end)."""

    def __enter__(self):
        gc.collect()
        tracemalloc.start()
        self.base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        return self

    def __exit__(self, *exc_info):
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        self.end = (current - self.base) / 1024
        self.peak = (peak - self.base) / 1024
