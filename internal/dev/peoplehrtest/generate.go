package peoplehrtest

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// Shares of generated employees in each state. The rest are current staff.
const (
	preHireShare      = 0.02
	leaverShare       = 0.08
	futureLeaverShare = 0.02

	paddedNameShare = 0.03 // names with surrounding spaces
	emojiShare      = 0.02 // KnownAs with an emoji
	longTitleShare  = 0.01 // 150-character job titles

	longTitleLen = 150
	emailDomain  = "northwind.example"
	dateLayout   = "2006-01-02"
	textDate     = "02/01/2006" // dd/MM/yyyy, the custom columns' format
)

var (
	firstNames = []string{
		"Oliver", "Amelia", "Zoë", "José", "Łukasz", "Anne-Marie", "Mohammed",
		"Priya", "Siobhán", "伟", "Chloé", "Jack", "Isla", "Noah", "Fatima",
		"Dmitri", "Aarav", "Grace", "Seán", "Björn", "Thảo", "Emily",
	}
	lastNames = []string{
		"Smith", "O'Brien", "Nguyễn", "王", "Kowalski", "García", "Müller",
		"Jones", "Patel", "Williams", "Taylor", "D'Souza", "Smith-Jones",
		"van der Berg", "Öztürk", "Evans", "Khan", "Murphy", "Davies",
	}
	titles          = []string{"Mr", "Mrs", "Ms", "Miss", "Dr", "Mx"}
	genders         = []string{"Female", "Male", "Non-binary", "Prefer not to say"}
	companies       = []string{"Northwind Ltd", "Northwind Services Ltd"}
	locations       = []string{"Leeds", "London", "Manchester", "Edinburgh", "Cardiff", "Remote"}
	departments     = []string{"Engineering", "Finance", "People", "Sales", "Customer Support", "Operations", "Marketing"}
	employmentTypes = []string{"Full Time", "Part Time", "Contractor", "Fixed Term"}
	leftStatuses    = []string{"Left", "Inactive"}
	leaveReasons    = []string{"Resignation", "End of contract", "Retirement", "Redundancy"}
	streets         = []string{"High Street", "Station Road", "Church Lane", "Park Avenue", "Mill Way"}
	emojis          = []string{"🚀", "🌻", "☕"}
	jobRoles        = []string{
		"Software Engineer", "Account Manager", "Payroll Specialist", "Customer Advisor",
		"Operations Lead", "Marketing Executive", "People Partner", "Finance Analyst", "Team Leader",
	}
)

// asciiFold spells the non-ASCII letters of the name lists the way an email
// address would.
var asciiFold = strings.NewReplacer(
	"ë", "e", "é", "e", "ễ", "e", "ł", "l", "Ł", "l", "á", "a", "ả", "a",
	"ü", "u", "ö", "o", "Ö", "o", "ó", "o", "í", "i", "ç", "c",
)

// Generate returns n realistic employees, the same for the same seed and
// today. About 2% are pre-hires (start after today), 8% leavers (a past
// LeavingDate and an inactive status), 2% future leavers (a LeavingDate
// after today, still active); the rest are current staff. Values include
// names in several scripts, padded names, emojis and over-long job titles,
// and BankDetail is always filled with fake numbers.
func Generate(n int, seed int64, today time.Time) []Employee {
	g := &generator{
		rng:    rand.New(rand.NewPCG(uint64(seed), 0x9e3779b97f4a7c15)),
		today:  time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, time.UTC),
		emails: make(map[string]bool, n),
	}
	employees := make([]Employee, 0, n)
	for i := range n {
		employees = append(employees, g.employee(i, employees))
	}
	return employees
}

type generator struct {
	rng    *rand.Rand
	today  time.Time
	emails map[string]bool // work emails taken so far
}

func pick[T any](g *generator, list []T) T { return list[g.rng.IntN(len(list))] }

func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

func (g *generator) daysFromToday(days int) time.Time { return g.today.AddDate(0, 0, days) }

func (g *generator) employee(i int, earlier []Employee) Employee {
	first, last := pick(g, firstNames), pick(g, lastNames)
	title := pick(g, titles)
	company, location := pick(g, companies), pick(g, locations)
	start := g.daysFromToday(-30 - g.rng.IntN(3650))
	e := Employee{
		EmployeeID:     fmt.Sprintf("PW%04d", i+1),
		Title:          title,
		FirstName:      first,
		LastName:       last,
		EmailID:        g.workEmail(first, last, i),
		DateOfBirth:    g.daysFromToday(-18*365 - g.rng.IntN(47*365)).Format(dateLayout),
		JobRole:        pick(g, jobRoles),
		Company:        company,
		Location:       location,
		Department:     pick(g, departments),
		EmploymentType: pick(g, employmentTypes),
		EmployeeStatus: ActiveStatus,
		Gender:         pick(g, genders),
		NISNumber:      fmt.Sprintf("QQ%06dC", g.rng.IntN(1_000_000)), // QQ: HMRC's example prefix
		APIColumn2:     fmt.Sprintf("CC-%04d", 1000+g.rng.IntN(40)),
		ContactDetail: ContactDetail{
			Address:         fmt.Sprintf("%d %s, %s", 1+g.rng.IntN(200), pick(g, streets), location),
			WorkPhoneNumber: fmt.Sprintf("0113 496 0%03d", g.rng.IntN(1000)), // Ofcom drama range
			Mobile:          fmt.Sprintf("07700 900%03d", g.rng.IntN(1000)),
		},
		EmploymentDetail: EmploymentDetail{
			PayrollCompany: company,
			PayrollID:      fmt.Sprintf("PAY%06d", i+1),
		},
		BankDetail: BankDetail{
			AccountName:   strings.ToUpper(fmt.Sprintf("%s %s %s", title, firstRune(first), last)),
			AccountNumber: fmt.Sprintf("%08d", g.rng.IntN(100_000_000)),
			SortCode:      fmt.Sprintf("%02d-%02d-%02d", g.rng.IntN(100), g.rng.IntN(100), g.rng.IntN(100)),
		},
	}
	if g.chance(0.5) {
		e.EmploymentDetail.BenefitsID = "BEN-" + e.EmployeeID
	}
	if g.chance(0.3) {
		e.ContactDetail.PersonalEmail = fmt.Sprintf("%s%d@mail.example", emailLocal(first, last, e.EmployeeID), g.rng.IntN(100))
	}
	if len(earlier) > 0 {
		// Managers come from the first tenth, which gives a shallow tree.
		m := earlier[g.rng.IntN(max(1, len(earlier)/10))]
		e.ReportsTo = strings.TrimSpace(m.FirstName) + " " + strings.TrimSpace(m.LastName)
		e.ReportsToEmployeeID = m.EmployeeID
	}

	switch r := g.rng.Float64(); {
	case r < preHireShare:
		start = g.daysFromToday(1 + g.rng.IntN(60))
	case r < preHireShare+leaverShare:
		served := int(g.today.Sub(start).Hours() / 24)
		e.LeavingDate = start.AddDate(0, 0, 1+g.rng.IntN(served-1)).Format(dateLayout)
		e.EmployeeStatus = pick(g, leftStatuses)
		e.ReasonForLeaving = pick(g, leaveReasons)
	case r < preHireShare+leaverShare+futureLeaverShare:
		e.LeavingDate = g.daysFromToday(1 + g.rng.IntN(90)).Format(dateLayout)
		e.ReasonForLeaving = pick(g, leaveReasons)
	}
	e.StartDate = start.Format(dateLayout)
	e.APIColumn1 = start.AddDate(1, 0, 0).Format(textDate) // contract review date

	if g.chance(paddedNameShare) {
		e.FirstName = " " + e.FirstName + "  "
	}
	if g.chance(emojiShare) {
		e.KnownAs = firstRune(first) + " " + pick(g, emojis)
	}
	if g.chance(longTitleShare) {
		e.JobRole = longTitle(e.JobRole)
	}
	return e
}

// workEmail derives a unique lower-case ASCII address from the name,
// numbering repeats the way mail admins do.
func (g *generator) workEmail(first, last string, i int) string {
	local := emailLocal(first, last, fmt.Sprintf("pw%04d", i+1))
	email := local + "@" + emailDomain
	for n := 2; g.emails[email]; n++ {
		email = local + strconv.Itoa(n) + "@" + emailDomain
	}
	g.emails[email] = true
	return email
}

// emailLocal is "first.last" in ASCII, or fallback when a name has no
// letters an address can carry (e.g. 伟 王).
func emailLocal(first, last, fallback string) string {
	var parts []string
	for _, name := range []string{first, last} {
		if s := asciiSlug(name); s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 {
		return strings.ToLower(fallback)
	}
	return strings.Join(parts, ".")
}

func asciiSlug(name string) string {
	var b strings.Builder
	for _, r := range asciiFold.Replace(strings.ToLower(name)) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') || r == '-' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func firstRune(s string) string {
	for _, r := range s {
		return string(r)
	}
	return ""
}

// longTitle pads a job title to longTitleLen characters with the kind of
// qualifiers people really type into HR systems.
func longTitle(role string) string {
	var b strings.Builder
	b.WriteString(role)
	for b.Len() < longTitleLen {
		b.WriteString(" and Acting Deputy Head of Cross-Functional Delivery")
	}
	return b.String()[:longTitleLen]
}
