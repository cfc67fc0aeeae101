package peoplehrtest_test

import (
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/peoplesync/peoplesync/internal/dev/peoplehrtest"
)

func TestGenerateIsDeterministic(t *testing.T) {
	a, b := peoplehrtest.Generate(300, 42, today), peoplehrtest.Generate(300, 42, today.Add(15*time.Hour))
	if !reflect.DeepEqual(a, b) {
		t.Error("same seed and day gave different employees")
	}
	if reflect.DeepEqual(a, peoplehrtest.Generate(300, 43, today)) {
		t.Error("different seeds gave the same employees")
	}
	if got := peoplehrtest.Generate(0, 1, today); len(got) != 0 {
		t.Errorf("Generate(0) = %d employees", len(got))
	}
}

func TestGenerateShape(t *testing.T) {
	const n = 5000
	employees := peoplehrtest.Generate(n, 2026, today)
	day := today.Format("2006-01-02")
	email := regexp.MustCompile(`^[a-z0-9.-]+@[a-z0-9.-]+$`)
	var preHires, leavers, futureLeavers, padded, emoji, longTitles, nonASCII, personal int
	ids, emails := map[string]bool{}, map[string]bool{}
	for _, e := range employees {
		if ids[e.EmployeeID] || len(e.EmployeeID) > 15 || !strings.HasPrefix(e.EmployeeID, "PW") {
			t.Fatalf("bad or repeated id %q", e.EmployeeID)
		}
		ids[e.EmployeeID] = true
		if emails[e.EmailID] || !email.MatchString(e.EmailID) {
			t.Fatalf("%s: bad or repeated work email %q", e.EmployeeID, e.EmailID)
		}
		emails[e.EmailID] = true
		if _, err := time.Parse("02/01/2006", e.APIColumn1); err != nil {
			t.Errorf("%s: APIColumn1 %q is not dd/MM/yyyy", e.EmployeeID, e.APIColumn1)
		}
		if e.BankDetail.AccountNumber == "" || e.BankDetail.SortCode == "" || e.BankDetail.AccountName == "" {
			t.Errorf("%s: BankDetail not filled", e.EmployeeID)
		}
		if e.ContactDetail.Mobile == "" || e.EmploymentDetail.PayrollID == "" || e.Department == "" || e.Location == "" {
			t.Errorf("%s: missing contact or employment data", e.EmployeeID)
		}
		if e.EmployeeID != "PW0001" && e.ReportsToEmployeeID == "" {
			t.Errorf("%s: no manager", e.EmployeeID)
		}
		switch {
		case e.StartDate > day:
			preHires++
			if e.LeavingDate != "" || e.Left() {
				t.Errorf("%s: pre-hire %+v", e.EmployeeID, e)
			}
		case e.LeavingDate == "":
			if e.Left() {
				t.Errorf("%s: current staff with status %q", e.EmployeeID, e.EmployeeStatus)
			}
		case e.LeavingDate > day:
			futureLeavers++
			if e.Left() || e.ReasonForLeaving == "" {
				t.Errorf("%s: future leaver %+v", e.EmployeeID, e)
			}
		default:
			leavers++
			if !e.Left() || e.LeavingDate < e.StartDate || e.ReasonForLeaving == "" {
				t.Errorf("%s: leaver %+v", e.EmployeeID, e)
			}
		}
		if e.FirstName != strings.TrimSpace(e.FirstName) {
			padded++
		}
		if strings.ContainsAny(e.KnownAs, "🚀🌻☕") {
			emoji++
		}
		if len(e.JobRole) == 150 {
			longTitles++
		}
		if !isASCII(e.FirstName + e.LastName) {
			nonASCII++
		}
		if e.ContactDetail.PersonalEmail != "" {
			personal++
		}
	}
	share := func(name string, got int, want float64) {
		if f := float64(got) / n; f < want*0.6 || f > want*1.4 {
			t.Errorf("%s: %.3f of employees, want about %.3f", name, f, want)
		}
	}
	share("pre-hires", preHires, 0.02)
	share("leavers", leavers, 0.08)
	share("future leavers", futureLeavers, 0.02)
	share("padded names", padded, 0.03)
	share("emoji", emoji, 0.02)
	share("long titles", longTitles, 0.01)
	share("personal emails", personal, 0.3)
	if nonASCII < n/4 {
		t.Errorf("only %d names outside ASCII", nonASCII)
	}
}

func isASCII(s string) bool {
	for _, r := range s {
		if r >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func TestDemoFixture(t *testing.T) {
	demo := peoplehrtest.DemoEmployees()
	if len(demo) < 20 || len(demo) > 30 {
		t.Fatalf("%d demo employees", len(demo))
	}
	has := func(what string, pred func(peoplehrtest.Employee) bool) {
		for _, e := range demo {
			if pred(e) {
				return
			}
		}
		t.Errorf("the demo has no %s", what)
	}
	day := today.Format("2006-01-02")
	has("leaver", func(e peoplehrtest.Employee) bool { return e.Left() && e.LeavingDate != "" && e.LeavingDate <= day })
	has("future leaver", func(e peoplehrtest.Employee) bool { return !e.Left() && e.LeavingDate > day })
	has("pre-hire", func(e peoplehrtest.Employee) bool { return e.StartDate > day })
	has("blank email", func(e peoplehrtest.Employee) bool { return e.EmailID == "" })
	has("invalid email", func(e peoplehrtest.Employee) bool { return e.EmailID == "not-an-email" })
	has("invalid APIColumn1 date", func(e peoplehrtest.Employee) bool {
		_, err := time.Parse("02/01/2006", e.APIColumn1)
		return err != nil
	})
	has("300-character job title", func(e peoplehrtest.Employee) bool { return utf8.RuneCountInString(e.JobRole) == 300 })
	has("formula-injection name", func(e peoplehrtest.Employee) bool { return strings.HasPrefix(e.FirstName, "=cmd|") })
	for _, name := range []string{"Zoë", "伟", "Łukasz", "José", "Anne-Marie"} {
		has(name, func(e peoplehrtest.Employee) bool { return e.FirstName == name })
	}
	has("O'Brien", func(e peoplehrtest.Employee) bool { return e.LastName == "O'Brien" })
	has("Nguyễn", func(e peoplehrtest.Employee) bool { return e.LastName == "Nguyễn" })

	seen := map[string]int{}
	for _, e := range demo {
		if e.EmailID != "" {
			seen[e.EmailID]++
		}
		if e.BankDetail.AccountNumber == "" {
			t.Errorf("%s: BankDetail not filled", e.EmployeeID)
		}
	}
	shared := 0
	for _, n := range seen {
		if n == 2 {
			shared++
		}
	}
	if shared != 1 {
		t.Errorf("%d emails shared by two employees, want 1", shared)
	}
}

func TestFixtureRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fixture.json")
	want := append(peoplehrtest.DemoEmployees(), peoplehrtest.Generate(50, 1, today)...)
	if err := peoplehrtest.WriteFixture(path, want); err != nil {
		t.Fatal(err)
	}
	got, err := peoplehrtest.LoadFixture(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("fixture did not round-trip")
	}
	if _, err := peoplehrtest.LoadFixture(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Error("LoadFixture of a missing file succeeded")
	}
}
