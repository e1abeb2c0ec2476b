package tiles

import (
	"container/list"
	"sync"
)

// entry is a finished tile: its gzipped MVT, or nil for a tile without
// features (answered 204).
type entry struct {
	key  string
	gz   []byte
	size int64
}

// entryOverhead approximates the bookkeeping bytes of one entry.
const entryOverhead = 128

// lru is a least-recently-used cache of finished tiles bounded by bytes.
// A bound ≤ 0 disables it.
type lru struct {
	mu    sync.Mutex
	max   int64
	bytes int64
	ll    *list.List
	m     map[string]*list.Element
}

func newLRU(maxBytes int64) *lru {
	return &lru{max: maxBytes, ll: list.New(), m: map[string]*list.Element{}}
}

func (c *lru) get(key string) (*entry, bool) {
	if c.max <= 0 {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[key]
	if !ok {
		return nil, false
	}
	c.ll.MoveToFront(el)
	return el.Value.(*entry), true
}

func (c *lru) add(e *entry) {
	e.size = int64(len(e.gz)+len(e.key)) + entryOverhead
	if c.max <= 0 || e.size > c.max/8 {
		return // one tile may not take more than an eighth of the cache
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.m[e.key]; ok {
		c.bytes -= el.Value.(*entry).size
		el.Value = e
		c.ll.MoveToFront(el)
	} else {
		c.m[e.key] = c.ll.PushFront(e)
	}
	c.bytes += e.size
	for c.bytes > c.max {
		el := c.ll.Back()
		old := el.Value.(*entry)
		c.ll.Remove(el)
		delete(c.m, old.key)
		c.bytes -= old.size
	}
}

// stats returns the bytes and entries held.
func (c *lru) stats() (int64, int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes, len(c.m)
}
