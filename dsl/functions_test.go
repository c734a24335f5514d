package dsl

import (
	"testing"

	"github.com/notimon/notimon/probes"
)

func TestHelpers(t *testing.T) {
	schema, _ := probes.NewSchema(nil)
	c := newCompiler(schema)
	for _, tc := range []struct{ code, want string }{
		{`in_cidr("10.1.2.3", "10.0.0.0/8")`, "true"},
		{`in_cidr("192.168.1.1", "10.0.0.0/8")`, "false"},
		{`in_cidr("::ffff:10.0.0.1", "10.0.0.0/8")`, "true"},
		{`bytes(1288490188)`, "1.2 GiB"},
		{`bytes(512)`, "512 B"},
		{`bytes(1024)`, "1 KiB"},
		{`duration(192)`, "3m12s"},
		{`duration(0.4)`, "0s"},
		{`pct(12.345)`, "12.3%"},
		{`pct(50)`, "50%"},
	} {
		prog, err := compile(tc.code, c.msg)
		if err != nil {
			t.Fatalf("%s: %v", tc.code, err)
		}
		p := &Program{program: prog}
		v, err := p.Eval(nil, c.msgEnv)
		if err != nil || FormatValue(v) != tc.want {
			t.Errorf("%s = %v (%v), want %s", tc.code, v, err, tc.want)
		}
	}
	for _, bad := range []string{`bytes("x")`, `in_cidr(1, 2)`, `pct()`} {
		if _, err := compile(bad, c.msg); err == nil {
			t.Errorf("%s compiled", bad)
		}
	}
	p := &Program{}
	prog, _ := compile(`in_cidr("nope", "10.0.0.0/8")`, c.msg)
	p.program = prog
	if _, err := p.Eval(nil, c.msgEnv); err == nil {
		t.Error("a bad address gave no error")
	}
}
