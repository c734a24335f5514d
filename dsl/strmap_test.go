package dsl

import (
	"math"
	"math/big"
	"testing"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// stringOf renders whole numbers itself, as a shortcut: the text must be cty's own.
func TestStringOfMatchesCty(t *testing.T) {
	huge, _ := new(big.Float).SetString("123456789012345678901234567890")
	for _, v := range []cty.Value{
		cty.NumberIntVal(0), cty.NumberIntVal(50), cty.NumberIntVal(-7), cty.NumberIntVal(math.MaxInt64),
		cty.NumberIntVal(math.MinInt64), cty.NumberFloatVal(1.5), cty.NumberFloatVal(-0.25),
		cty.NumberFloatVal(1e21), cty.NumberFloatVal(math.Copysign(0, -1)), cty.NumberVal(huge),
		cty.StringVal("cpu.avg3 > 50"), cty.True,
	} {
		want, err := convert.Convert(v, cty.String)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := stringOf(v)
		if !ok || got != want.AsString() {
			t.Errorf("stringOf(%#v) = %q, %v; cty says %q", v, got, ok, want.AsString())
		}
	}
}
