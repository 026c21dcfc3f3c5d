package check

import "github.com/vigilsec/vigil/internal/module"

// moduleChecks returns the catalogue entries of ms, in order.
func moduleChecks(ms []module.Module) []Check {
	var out []Check
	for _, m := range ms {
		out = append(out, m.Checks...)
	}
	return out
}

// moduleJudges adapts the judges of ms: each judges only services of its
// module's protocol.
func moduleJudges(ms []module.Module) []Judge {
	var out []Judge
	for _, m := range ms {
		if m.Judge == nil {
			continue
		}
		judge, name := m.Judge, m.Name
		out = append(out, func(in Input) []Hit {
			if in.Service == nil || in.Service.Name != name {
				return nil
			}
			return judge(module.Input{Host: in.Host, Service: in.Service, Now: in.Now, Untrusted: in.Untrusted})
		})
	}
	return out
}
