package facts

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// Evidence holds the typed evidence of the protocols that live in their own
// package (internal/protocols/NAME): at most one value per protocol, under
// the protocol's name. It is read and written only through a Key, which
// fixes the value's Go type, so evidence stays typed without a field of its
// own on Service.
//
// In JSON each value is a member of the service object named after its
// key, exactly as a typed field would be ("ntp": {…}). A Service decoded
// from JSON keeps such members as raw JSON until a Key reads them.
//
// Set never changes a map another Service copy shares: copies of a Service
// (identification tries probes on copies) stay independent.
type Evidence struct {
	m map[string]any // *T set by a Key, or json.RawMessage read from JSON
}

// Names returns the names evidence is held under, sorted.
func (e Evidence) Names() []string {
	out := make([]string, 0, len(e.m))
	for k := range e.m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Len returns how many protocols' evidence e holds.
func (e Evidence) Len() int { return len(e.m) }

// Key names one protocol's evidence and fixes its type T. A protocol
// package declares its key once, e.g.
//
//	var Evidence = facts.NewKey[Audit]("ntp")
type Key[T any] struct{ name string }

// NewKey returns the key of evidence of type T stored under name, the
// member name in JSON. It panics when name is empty or the JSON name of a
// Service field, which would hide the evidence or the field: a programming
// error that the module's first test run shows.
func NewKey[T any](name string) Key[T] {
	if name == "" || serviceKeys[strings.ToLower(name)] {
		panic("facts: evidence key " + strconv.Quote(name) + " is not a free member name of a service")
	}
	return Key[T]{name: name}
}

// Name returns the key's name.
func (k Key[T]) Name() string { return k.name }

// Get returns s's evidence under k, or nil when there is none (or when
// evidence read from JSON does not decode as T). The pointer is the stored
// value itself, except for evidence still held as JSON: that is decoded
// afresh on each Get, so change such a value through Set.
func (k Key[T]) Get(s *Service) *T {
	if s == nil {
		return nil
	}
	switch v := s.Evidence.m[k.name].(type) {
	case *T:
		return v
	case json.RawMessage:
		t := new(T)
		if err := json.Unmarshal(v, t); err != nil {
			return nil
		}
		return t
	}
	return nil
}

// Set stores v as s's evidence under k; a nil v removes it. It copies the
// map rather than changing it, so that copies of s are not affected.
func (k Key[T]) Set(s *Service, v *T) {
	m := make(map[string]any, len(s.Evidence.m)+1)
	for name, val := range s.Evidence.m {
		if name != k.name {
			m[name] = val
		}
	}
	if v != nil {
		m[k.name] = v
	}
	if len(m) == 0 {
		m = nil
	}
	s.Evidence = Evidence{m: m}
}

// serviceJSON is Service without its JSON methods.
type serviceJSON Service

// serviceKeys are the JSON names of Service's own fields, in lower case
// (encoding/json matches member names to fields without regard to case):
// any other member of a service object is evidence.
var serviceKeys = jsonNames(reflect.TypeFor[serviceJSON]())

func jsonNames(t reflect.Type) map[string]bool {
	out := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case name == "-":
			continue
		case name == "":
			name = f.Name
		}
		out[strings.ToLower(name)] = true
	}
	return out
}

// MarshalJSON writes the service object: its fields, then each evidence
// value as a member named after its key, in name order.
func (s Service) MarshalJSON() ([]byte, error) {
	b, err := marshalNoEscape(serviceJSON(s))
	if err != nil || s.Evidence.Len() == 0 {
		return b, err
	}
	b = bytes.TrimRight(b, "\n")
	b = b[:len(b)-1] // the closing brace
	for _, name := range s.Evidence.Names() {
		v, err := marshalNoEscape(s.Evidence.m[name])
		if err != nil {
			return nil, err
		}
		k, _ := marshalNoEscape(name)
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, bytes.TrimRight(k, "\n")...)
		b = append(b, ':')
		b = append(b, bytes.TrimRight(v, "\n")...)
	}
	return append(b, '}'), nil
}

// marshalNoEscape marshals v without escaping HTML characters: the encoder
// that called MarshalJSON escapes them, or not, as it was told to.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// UnmarshalJSON reads a service object; members that are not Service
// fields are kept as evidence, for a Key to decode.
func (s *Service) UnmarshalJSON(b []byte) error {
	var p serviceJSON
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil {
		return err
	}
	*s = Service(p)
	for name, raw := range members {
		if serviceKeys[strings.ToLower(name)] || string(raw) == "null" {
			continue
		}
		if s.Evidence.m == nil {
			s.Evidence.m = map[string]any{}
		}
		s.Evidence.m[name] = raw
	}
	return nil
}
