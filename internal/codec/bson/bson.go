// Package bson is a minimal BSON (bsonspec.org, version 1.1) codec: enough to
// build the commands vigil sends to MongoDB and to read fields of the
// documents servers answer. Decoding never panics on hostile input.
package bson

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Element types.
const (
	TypeDouble   = 0x01
	TypeString   = 0x02
	TypeDocument = 0x03
	TypeArray    = 0x04
	TypeBinary   = 0x05
	TypeUndef    = 0x06
	TypeObjectID = 0x07
	TypeBool     = 0x08
	TypeDateTime = 0x09
	TypeNull     = 0x0a
	TypeRegex    = 0x0b
	TypeDBPtr    = 0x0c
	TypeJSCode   = 0x0d
	TypeSymbol   = 0x0e
	TypeCodeWS   = 0x0f
	TypeInt32    = 0x10
	TypeTime     = 0x11
	TypeInt64    = 0x12
	TypeDecimal  = 0x13
	TypeMinKey   = 0xff
	TypeMaxKey   = 0x7f
)

// ErrMalformed is the cause of every decoding failure.
var ErrMalformed = errors.New("malformed BSON")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Elem is one element to encode; Val is an int32, string, bool or float64.
type Elem struct {
	Key string
	Val any
}

// Doc encodes a document from elements in order. Keys must not contain
// NUL; other value types are skipped.
func Doc(elems ...Elem) []byte {
	b := []byte{0, 0, 0, 0}
	for _, e := range elems {
		switch v := e.Val.(type) {
		case int32:
			b = append(append(append(b, TypeInt32), e.Key...), 0)
			b = binary.LittleEndian.AppendUint32(b, uint32(v))
		case string:
			b = append(append(append(b, TypeString), e.Key...), 0)
			b = binary.LittleEndian.AppendUint32(b, uint32(len(v)+1))
			b = append(append(b, v...), 0)
		case bool:
			var x byte
			if v {
				x = 1
			}
			b = append(append(append(b, TypeBool), e.Key...), 0, x)
		case float64:
			b = append(append(append(b, TypeDouble), e.Key...), 0)
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
	}
	b = append(b, 0)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	return b
}

// Value is one decoded element: its type and raw value bytes.
type Value struct {
	Type byte
	Data []byte
}

// Field is one element of a document, in document order.
type Field struct {
	Key   string
	Value Value
}

// DocLen returns the length a document at the start of b declares, when it
// is plausible and complete.
func DocLen(b []byte) (int, bool) {
	if len(b) < 5 {
		return 0, false
	}
	n := binary.LittleEndian.Uint32(b)
	if n < 5 || n > uint32(len(b)) || b[n-1] != 0 {
		return 0, false
	}
	return int(n), true
}

// Fields returns the top-level elements of the document at the start of b,
// in order.
func Fields(b []byte) ([]Field, error) {
	n, ok := DocLen(b)
	if !ok {
		return nil, malformed("bad document length")
	}
	var out []Field
	p := b[4 : n-1]
	for len(p) > 0 {
		typ := p[0]
		key, rest, ok := bytes.Cut(p[1:], []byte{0})
		if !ok {
			return nil, malformed("unterminated key")
		}
		size, err := valueLen(typ, rest)
		if err != nil {
			return nil, err
		}
		out = append(out, Field{Key: string(key), Value: Value{Type: typ, Data: rest[:size]}})
		p = rest[size:]
	}
	return out, nil
}

// Parse returns the top-level elements of the document at the start of b
// by key (the first of duplicate keys wins).
func Parse(b []byte) (map[string]Value, error) {
	fs, err := Fields(b)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Value, len(fs))
	for _, f := range fs {
		if _, dup := out[f.Key]; !dup {
			out[f.Key] = f.Value
		}
	}
	return out, nil
}

// valueLen returns the encoded length of a value of type typ at the start
// of b.
func valueLen(typ byte, b []byte) (int, error) {
	fixed := func(n int) (int, error) {
		if len(b) < n {
			return 0, malformed("value cut short")
		}
		return n, nil
	}
	prefixed := func(extra int) (int, error) {
		if len(b) < 4 {
			return 0, malformed("value cut short")
		}
		n := int(binary.LittleEndian.Uint32(b))
		if n < 0 || n > len(b) || 4+n+extra > len(b) || 4+n+extra < 0 {
			return 0, malformed("bad value length")
		}
		return 4 + n + extra, nil
	}
	switch typ {
	case TypeDouble, TypeDateTime, TypeTime, TypeInt64:
		return fixed(8)
	case TypeString, TypeJSCode, TypeSymbol:
		n, err := prefixed(0)
		if err == nil && (n < 5 || b[n-1] != 0) {
			return 0, malformed("bad string")
		}
		return n, err
	case TypeDocument, TypeArray:
		n, ok := DocLen(b)
		if !ok {
			return 0, malformed("bad embedded document")
		}
		return n, nil
	case TypeCodeWS:
		// int32 total length, then a string and a document
		if len(b) < 4 {
			return 0, malformed("value cut short")
		}
		n := int(binary.LittleEndian.Uint32(b))
		if n < 14 || n > len(b) {
			return 0, malformed("bad code with scope")
		}
		return n, nil
	case TypeBinary:
		return prefixed(1)
	case TypeUndef, TypeNull, TypeMinKey, TypeMaxKey:
		return 0, nil
	case TypeObjectID:
		return fixed(12)
	case TypeBool:
		return fixed(1)
	case TypeRegex:
		_, r1, ok1 := bytes.Cut(b, []byte{0})
		_, r2, ok2 := bytes.Cut(r1, []byte{0})
		if !ok1 || !ok2 {
			return 0, malformed("bad regex")
		}
		return len(b) - len(r2), nil
	case TypeDBPtr:
		return prefixed(12)
	case TypeInt32:
		return fixed(4)
	case TypeDecimal:
		return fixed(16)
	}
	return 0, malformed("unknown element type %#x", typ)
}

// Str returns a string value.
func (v Value) Str() (string, bool) {
	if v.Type != TypeString || len(v.Data) < 5 {
		return "", false
	}
	return string(v.Data[4 : len(v.Data)-1]), true
}

// Num returns a numeric value (double, int32 or int64) as float64.
func (v Value) Num() (float64, bool) {
	switch {
	case v.Type == TypeDouble && len(v.Data) == 8:
		return math.Float64frombits(binary.LittleEndian.Uint64(v.Data)), true
	case v.Type == TypeInt32 && len(v.Data) == 4:
		return float64(int32(binary.LittleEndian.Uint32(v.Data))), true
	case v.Type == TypeInt64 && len(v.Data) == 8:
		return float64(int64(binary.LittleEndian.Uint64(v.Data))), true
	}
	return 0, false
}

// Bool returns a boolean value.
func (v Value) Bool() (bool, bool) {
	if v.Type != TypeBool || len(v.Data) != 1 {
		return false, false
	}
	return v.Data[0] != 0, true
}

// Doc returns the fields of an embedded document.
func (v Value) Doc() (map[string]Value, error) {
	if v.Type != TypeDocument {
		return nil, malformed("not a document")
	}
	return Parse(v.Data)
}

// Array returns the values of an array, in order.
func (v Value) Array() ([]Value, error) {
	if v.Type != TypeArray {
		return nil, malformed("not an array")
	}
	fs, err := Fields(v.Data)
	if err != nil {
		return nil, err
	}
	out := make([]Value, len(fs))
	for i, f := range fs {
		out[i] = f.Value
	}
	return out, nil
}
