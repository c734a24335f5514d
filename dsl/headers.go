package dsl

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"

	"github.com/notimon/notimon/actions/notify"
)

// checkHeaders refuses a header that a request could not carry, or that would carry more
// than itself: a value with a line break (read with env() or file(): a token file's final
// newline) would start another header. The caret marks the header's entry when the map is
// written out in the block; the value, often a secret, is never quoted.
func checkHeaders(attr *hcl.Attribute, headers map[string]string, what string) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range slices.Sorted(maps.Keys(headers)) {
		value := headers[name]
		err := notify.CheckHeader(name, value)
		if err == nil {
			continue
		}
		detail := fmt.Sprintf("%s: %v.", what, err)
		if strings.ContainsAny(value, "\r\n") {
			detail += ` If it comes from file() or env(), the file or variable probably ends in a newline: write it without one (printf '%s' "$TOKEN" > FILE).`
		}
		diags = append(diags, &hcl.Diagnostic{
			Severity: hcl.DiagError,
			Summary:  "Invalid header",
			Detail:   detail,
			Subject:  headerRange(attr, name).Ptr(),
		})
	}
	return diags
}

// headerRange is where the header name is written in attr's map, or its value when the
// name is fine (the value is what is wrong); the whole attribute when the map is not written
// out (headers = local.headers).
func headerRange(attr *hcl.Attribute, name string) hcl.Range {
	obj, ok := attr.Expr.(*hclsyntax.ObjectConsExpr)
	if !ok {
		return attr.Expr.Range()
	}
	nameOK := notify.CheckHeader(name, "") == nil
	for _, item := range obj.Items {
		key := hcl.ExprAsKeyword(item.KeyExpr)
		if key == "" {
			v, d := item.KeyExpr.Value(nil)
			if d.HasErrors() || !v.IsKnown() || v.IsNull() || v.Type() != cty.String {
				continue
			}
			key = v.AsString()
		}
		if key != name {
			continue
		}
		if nameOK {
			return item.ValueExpr.Range()
		}
		return item.KeyExpr.Range()
	}
	return attr.Expr.Range()
}
