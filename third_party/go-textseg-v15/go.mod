// A stand-in for github.com/apparentlymart/go-textseg/v15 (see textseg/textseg.go and the
// replace directive in notimon's go.mod).
module github.com/apparentlymart/go-textseg/v15

go 1.26.0

require github.com/apparentlymart/go-textseg/v17 v17.0.1
