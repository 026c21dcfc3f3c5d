package erase

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/vigilsec/vigil/internal/certify"
	"github.com/vigilsec/vigil/internal/datamap"
	"github.com/vigilsec/vigil/internal/facts"
)

// Request is one erasure.
type Request struct {
	Map     *datamap.Map
	Subject []Pair
	// Open opens a database source for writing.
	Open func(ctx context.Context, s *datamap.Source) (*datamap.DB, error)
	// Confirm is shown the plan and returns nil to go on (ErrDeclined,
	// or any error, to stop with nothing changed).
	Confirm func(p *Plan) error
	// BeforeCommit, per source name, runs inside that source's
	// transaction just before its commit (tests).
	BeforeCommit map[string]func(ctx context.Context) error
	Salt         []byte
	Operator     string
	Version      string
	Now          func() time.Time
}

// Plan is what the erasure will do: tables, counts and files, never
// values.
type Plan struct {
	Sources []PlanSource
}

// PlanSource is the plan of one source.
type PlanSource struct {
	Name, Type string
	Tables     []certify.TableAction
	Files      []certify.FileAction
	NotErased  []certify.NotErased
	// Skipped says why the source is left out (the subject gives none of
	// its keys), or is "".
	Skipped string
	// Err is why the source could not be planned: it is not changed.
	Err error
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool {
	for _, s := range p.Sources {
		if len(s.Tables) > 0 || len(s.Files) > 0 {
			return false
		}
	}
	return true
}

// Erase plans, asks for confirmation, erases and verifies, and returns the
// certificate to issue (unsigned, not chained) with the plan. An error is
// returned, with nothing changed, only when the map gives no way to find
// the subject or the plan is declined; a source that fails is reported in
// the certificate.
func Erase(ctx context.Context, req Request) (*certify.Certificate, *Plan, error) {
	if len(req.Subject) == 0 {
		return nil, nil, fmt.Errorf("no subject given: use --subject KEY=VALUE or --subject-file FILE")
	}
	keys := map[string]bool{}
	for _, s := range req.Map.Subjects {
		keys[s.Key] = true
	}
	var pairs, keyNames []string
	for _, p := range req.Subject {
		if !keys[p.Key] {
			return nil, nil, fmt.Errorf("--subject %s=…: the data map declares no subject key %q (its keys: %v)", p.Key, p.Key, sortedKeys(keys))
		}
		pairs = append(pairs, p.Key+"="+p.Value)
		if !slices.Contains(keyNames, p.Key) {
			keyNames = append(keyNames, p.Key)
		}
	}
	slices.Sort(keyNames)
	now := time.Now
	if req.Now != nil {
		now = req.Now
	}
	plan := &Plan{}
	dbJobs := map[string]*DBJob{}
	fileJobs := map[string]*FileJob{}
	defer func() {
		for _, j := range dbJobs {
			j.DB.Close()
		}
		for _, j := range fileJobs {
			j.Close()
		}
	}()
	for i := range req.Map.Sources {
		s := &req.Map.Sources[i]
		ps := PlanSource{Name: s.Name, Type: s.Type}
		if s.Type == datamap.Files {
			var values []string
			for _, su := range req.Map.Subjects {
				if su.Source != s.Name {
					continue
				}
				for _, p := range req.Subject {
					if p.Key == su.Key {
						values = append(values, p.Value)
					}
				}
			}
			if len(values) == 0 {
				ps.Skipped = "the subject gives none of this source's keys"
				plan.Sources = append(plan.Sources, ps)
				continue
			}
			j, err := NewFileJob(s, values)
			if err == nil {
				err = j.Plan(ctx)
				fileJobs[s.Name] = j
			}
			if err != nil {
				ps.Err = err
			} else {
				ps.Files, ps.NotErased = j.Found, j.NotErased
			}
			plan.Sources = append(plan.Sources, ps)
			continue
		}
		db, err := req.Open(ctx, s)
		if err != nil {
			ps.Err = err
			plan.Sources = append(plan.Sources, ps)
			continue
		}
		j, err := NewDBJob(ctx, req.Map, db, req.Subject)
		if err != nil {
			db.Close()
			ps.Err = err
			plan.Sources = append(plan.Sources, ps)
			continue
		}
		dbJobs[s.Name] = j
		if len(j.Roots) == 0 {
			ps.Skipped = "the subject gives none of this source's keys"
		} else if err := j.Plan(ctx); err != nil {
			ps.Err = err
		} else {
			ps.Tables = j.Tables()
		}
		for _, c := range j.Composite {
			ps.NotErased = append(ps.NotErased, certify.NotErased{Source: s.Name, Where: c,
				Reason: "a foreign key of several columns, which vigil data erase does not follow: check the rows referencing the subject through it by hand"})
		}
		if req.BeforeCommit != nil {
			j.BeforeCommit = req.BeforeCommit[s.Name]
		}
		plan.Sources = append(plan.Sources, ps)
	}
	if req.Confirm != nil {
		if err := req.Confirm(plan); err != nil {
			return nil, plan, err
		}
	}
	hash, saltID := certify.SubjectHash(req.Salt, pairs)
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	c := &certify.Certificate{
		ID:       hex.EncodeToString(id),
		Operator: req.Operator,
		Vigil:    req.Version,
		Subject:  certify.Subject{Keys: keyNames, Hash: hash, Salt: saltID},
		Sources:  []certify.Source{},
	}
	complete := true
	for _, ps := range plan.Sources {
		var src certify.Source
		switch {
		case ps.Err != nil:
			src = certify.Source{Name: ps.Name, Type: ps.Type, Outcome: certify.Failed,
				Error: "nothing was changed in this source: " + ps.Err.Error()}
		case ps.Skipped != "":
			src = certify.Source{Name: ps.Name, Type: ps.Type, Outcome: certify.NothingFound, Verified: true, Error: ps.Skipped}
		case ps.Type == datamap.Files:
			src = fileJobs[ps.Name].Run(ctx)
			c.NotErased = append(c.NotErased, fileJobs[ps.Name].NotErased...)
		default:
			src = dbJobs[ps.Name].Run(ctx)
			c.NotErased = append(c.NotErased, ps.NotErased...)
		}
		if src.Outcome != certify.Erased && src.Outcome != certify.NothingFound {
			complete = false
		}
		c.Sources = append(c.Sources, src)
	}
	c.NotErased = append(c.NotErased, inBackups(req.Map, plan, now())...)
	if c.NotErased == nil {
		c.NotErased = []certify.NotErased{}
	}
	c.Complete = complete && len(c.NotErased) == 0
	c.Issued = now().UTC().Truncate(time.Second)
	return c, plan, nil
}

// inBackups lists the declared backups of each source where the plan
// found the subject: they were made before the erasure, so they may hold
// the subject until they expire.
func inBackups(m *datamap.Map, plan *Plan, now time.Time) []certify.NotErased {
	found := map[string]bool{}
	for _, ps := range plan.Sources {
		found[ps.Name] = len(ps.Tables) > 0 || len(ps.Files) > 0 || len(ps.NotErased) > 0
	}
	var out []certify.NotErased
	for _, b := range m.Backups {
		if found[b.Source] {
			out = append(out, certify.NotErased{Source: b.Source, Where: "backup: " + b.What,
				Reason:  "backups are not rewritten: those made before this erasure keep the subject's data until they expire",
				Expires: b.MaxAge.After(now).UTC().Format("2006-01-02")})
		}
	}
	return out
}

func sortedKeys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Incomplete returns, for the data.erasure.incomplete check, the sources
// of a certificate where the subject's data remains: those the search
// after the erasure still found the subject in, and those rolled back or
// failed (where the plan's rows all remain). The subject is named by its
// salted hash only.
func Incomplete(m *datamap.Map, c *certify.Certificate, p *Plan) []facts.DataErasure {
	var out []facts.DataErasure
	for i, s := range c.Sources {
		e := facts.DataErasure{Source: s.Name, Subject: c.Subject.Hash, Reason: s.Error}
		switch s.Outcome {
		case certify.Incomplete:
			e.Remaining = int(s.Remaining)
		case certify.RolledBack, certify.Failed:
			if p != nil && i < len(p.Sources) {
				for _, t := range p.Sources[i].Tables {
					e.Remaining += int(t.Rows)
				}
				e.Remaining += len(p.Sources[i].Files)
			}
			e.Remaining = max(e.Remaining, 1)
		default:
			continue
		}
		if src, ok := m.Source(s.Name); ok && (src.Type == datamap.Postgres || src.Type == datamap.MySQL) {
			if d, err := datamap.ParseDSN(src.Type, src.DSN); err == nil {
				e.Host, e.Port = d.Host, d.Port
			}
		}
		out = append(out, e)
	}
	return out
}
