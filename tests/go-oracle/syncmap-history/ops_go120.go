//go:build go1.20

package main

import "sync"

// Go 1.20: Swap, CompareAndSwap, CompareAndDelete.
func init() {
	opNames = append(opNames, "Swap", "CompareAndSwap", "CompareAndDelete")
	extraOps["Swap"] = func(m *sync.Map, o op, c *call) {
		c.Value = u16(o.val)
		v, loaded := m.Swap(o.key, o.val)
		c.Ok = bl(loaded)
		if loaded {
			c.Ret = u16(v.(uint16))
		}
	}
	extraOps["CompareAndSwap"] = func(m *sync.Map, o op, c *call) {
		c.Value, c.New = u16(o.val), u16(o.new)
		c.Ok = bl(m.CompareAndSwap(o.key, o.val, o.new))
	}
	extraOps["CompareAndDelete"] = func(m *sync.Map, o op, c *call) {
		c.Value = u16(o.val)
		c.Ok = bl(m.CompareAndDelete(o.key, o.val))
	}
}
