package bson

import (
	"encoding/binary"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	doc := Doc(Elem{"hello", int32(1)}, Elem{"$db", "admin"}, Elem{"ok", 1.0}, Elem{"w", true})
	m, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := m["hello"].Num(); !ok || v != 1 {
		t.Errorf("hello = %v %v", v, ok)
	}
	if v, ok := m["$db"].Str(); !ok || v != "admin" {
		t.Errorf("$db = %q %v", v, ok)
	}
	if v, ok := m["ok"].Num(); !ok || v != 1 {
		t.Errorf("ok = %v", v)
	}
	if v, ok := m["w"].Bool(); !ok || !v {
		t.Errorf("w = %+v", m["w"])
	}
}

// Raw returns a raw element.
func raw(typ byte, key string, val []byte) []byte {
	return append(append(append([]byte{typ}, key...), 0), val...)
}

// wrap makes a document of raw elements.
func wrap(elems ...[]byte) []byte {
	b := []byte{0, 0, 0, 0}
	for _, e := range elems {
		b = append(b, e...)
	}
	b = append(b, 0)
	binary.LittleEndian.PutUint32(b, uint32(len(b)))
	return b
}

func TestParseTypes(t *testing.T) {
	sub := Doc(Elem{"a", int32(1)})
	str := func(s string) []byte {
		return append(binary.LittleEndian.AppendUint32(nil, uint32(len(s)+1)), append([]byte(s), 0)...)
	}
	doc := wrap(
		raw(TypeObjectID, "_id", make([]byte, 12)),
		raw(TypeDocument, "topologyVersion", sub),
		raw(TypeArray, "hosts", sub),
		raw(TypeBinary, "bin", append(binary.LittleEndian.AppendUint32(nil, 3), 0, 1, 2, 3)),
		raw(TypeDateTime, "localTime", make([]byte, 8)),
		raw(TypeNull, "n", nil),
		raw(TypeRegex, "re", []byte("a.*\x00i\x00")),
		raw(TypeInt64, "big", binary.LittleEndian.AppendUint64(nil, 1<<40)),
		raw(TypeTime, "ts", make([]byte, 8)),
		raw(TypeDecimal, "d", make([]byte, 16)),
		raw(TypeMinKey, "min", nil),
		raw(TypeString, "version", str("7.0.2")),
		raw(TypeInt32, "maxWireVersion", binary.LittleEndian.AppendUint32(nil, 21)),
	)
	m, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := m["version"].Str(); v != "7.0.2" {
		t.Errorf("version %q", v)
	}
	if v, _ := m["maxWireVersion"].Num(); v != 21 {
		t.Errorf("maxWireVersion %v", v)
	}
	if v, _ := m["big"].Num(); v != 1<<40 {
		t.Errorf("big %v", v)
	}
	if d, err := m["topologyVersion"].Doc(); err != nil || len(d) != 1 {
		t.Errorf("embedded document %v %v", d, err)
	}
	bad := [][]byte{
		nil,
		{5, 0, 0, 0},
		{5, 0, 0, 0, 1},
		wrap(raw(0x42, "x", nil)),
		wrap(raw(TypeString, "s", []byte{0xff, 0xff, 0xff, 0x7f, 'a', 0})),
		wrap(raw(TypeInt32, "i", []byte{1})),
		wrap([]byte{TypeInt32, 'k'}),
	}
	for _, b := range bad {
		if _, err := Parse(b); err == nil {
			t.Errorf("Parse(%x) succeeded", b)
		}
	}
}

func TestArray(t *testing.T) {
	// {"databases": [{"name": "admin"}, {"name": "clinic"}]}
	arr := wrap(raw(TypeDocument, "0", Doc(Elem{"name", "admin"})), raw(TypeDocument, "1", Doc(Elem{"name", "clinic"})))
	doc := wrap(raw(TypeArray, "databases", arr))
	m, err := Parse(doc)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := m["databases"].Array()
	if err != nil || len(vs) != 2 {
		t.Fatalf("Array = %v, %v", vs, err)
	}
	var names []string
	for _, v := range vs {
		d, err := v.Doc()
		if err != nil {
			t.Fatal(err)
		}
		n, _ := d["name"].Str()
		names = append(names, n)
	}
	if len(names) != 2 || names[0] != "admin" || names[1] != "clinic" {
		t.Errorf("names %v", names)
	}
	if _, err := m["databases"].Doc(); err == nil {
		t.Error("an array read as a document")
	}
	if _, err := (Value{Type: TypeDocument, Data: arr}).Array(); err == nil {
		t.Error("a document read as an array")
	}
}

func FuzzParse(f *testing.F) {
	f.Add(Doc(Elem{"hello", int32(1)}, Elem{"$db", "admin"}))
	f.Add(wrap(raw(TypeArray, "a", wrap(raw(TypeDocument, "0", Doc(Elem{"name", "x"}))))))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			return
		}
		for _, v := range m {
			v.Str()
			v.Num()
			v.Bool()
			v.Doc()
			if vs, err := v.Array(); err == nil {
				for _, e := range vs {
					e.Doc()
				}
			}
		}
	})
}
