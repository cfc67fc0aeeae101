package peoplehrtest

import "encoding/json"

// History keys as PeopleHR names them. Current payloads use the specific
// ones on a few fields; older payloads use FieldHistory everywhere.
const (
	historyDefault       = "FieldHistory"
	historyJobRole       = "FieldHistoryForJobRole"
	historyEffectiveDate = "FieldHistoryForEffectiveDate"
)

// wrapped is PeopleHR's {"DisplayValue": "...", "<history>": []}. History
// arrays are always empty in GetAllEmployeeDetail; history "" leaves the
// key out, as PeopleHR does on a few fields.
type wrapped struct {
	value   string
	history string
}

// quote encodes a string as JSON, which cannot fail.
func quote(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

func (w wrapped) MarshalJSON() ([]byte, error) {
	out := append([]byte(`{"DisplayValue":`), quote(w.value)...)
	if w.history != "" {
		out = append(out, `,"`+w.history+`":[]`...)
	}
	return append(out, '}'), nil
}

// emptyList is an array PeopleHR sends but the sandbox never fills.
type emptyList struct{}

func (emptyList) MarshalJSON() ([]byte, error) { return []byte("[]"), nil }

// wireEmployee fixes the field order and shapes of one record on the wire.
type wireEmployee struct {
	EmployeeID           wrapped   `json:"EmployeeId"`
	Title                wrapped   `json:"Title"`
	FirstName            wrapped   `json:"FirstName"`
	LastName             wrapped   `json:"LastName"`
	OtherName            wrapped   `json:"OtherName"`
	KnownAs              wrapped   `json:"KnownAs"`
	EmailID              wrapped   `json:"EmailId"`
	StartDate            wrapped   `json:"StartDate"`
	DateOfBirth          wrapped   `json:"DateOfBirth"`
	JobRole              wrapped   `json:"JobRole"`
	Company              wrapped   `json:"Company"`
	Location             wrapped   `json:"Location"`
	Department           wrapped   `json:"Department"`
	ReportsTo            wrapped   `json:"ReportsTo"`
	ReportsToEmployeeID  wrapped   `json:"ReportsToEmployeeId"`
	NISNumber            wrapped   `json:"NISNumber"`
	EmploymentType       wrapped   `json:"EmploymentType"`
	EmployeeStatus       wrapped   `json:"EmployeeStatus"`
	HolidayAllowanceDays wrapped   `json:"HolidayAllowanceDays"` // not in the Swagger record
	Gender               wrapped   `json:"Gender"`
	LeavingDate          string    `json:"LeavingDate"`
	ReasonForLeaving     string    `json:"ReasonForLeaving"`
	EmployeeImage        string    `json:"EmployeeImage"`
	APIColumn1           string    `json:"APIColumn1"`
	APIColumn2           string    `json:"APIColumn2"`
	APIColumn3           string    `json:"APIColumn3"`
	APIColumn4           string    `json:"APIColumn4"`
	APIColumn5           string    `json:"APIColumn5"`
	ContactDetail        wireGroup `json:"ContactDetail"`
	OtherContact         emptyList `json:"OtherContact"`
	RightToWork          emptyList `json:"RightToWork"`
	BackgroundDetail     emptyList `json:"BackgroundDetail"`
	BankDetail           wireGroup `json:"BankDetail"`
	EmploymentDetail     wireGroup `json:"EmploymentDetail"`
}

// wireGroup is a nested object of wrapped values. Field order is part of
// realism only, so a small ordered list is enough.
type wireGroup []wireField

type wireField struct {
	name  string
	value wrapped
}

func (g wireGroup) MarshalJSON() ([]byte, error) {
	out := []byte{'{'}
	for i, f := range g {
		if i > 0 {
			out = append(out, ',')
		}
		value, _ := f.value.MarshalJSON()
		out = append(append(append(out, quote(f.name)...), ':'), value...)
	}
	return append(out, '}'), nil
}

// toWire shapes e as GetAllEmployeeDetail sends it. legacy selects the
// older payloads that use FieldHistory on every field.
func toWire(e Employee, legacy bool) wireEmployee {
	plain := func(v string) wrapped { return wrapped{v, historyDefault} }
	special := func(v, history string) wrapped {
		if legacy {
			history = historyDefault
		}
		return wrapped{v, history}
	}
	bare := func(v string) wrapped { return wrapped{v, ""} }
	return wireEmployee{
		EmployeeID:           plain(e.EmployeeID),
		Title:                plain(e.Title),
		FirstName:            plain(e.FirstName),
		LastName:             plain(e.LastName),
		OtherName:            plain(e.OtherName),
		KnownAs:              plain(e.KnownAs),
		EmailID:              plain(e.EmailID),
		StartDate:            plain(e.StartDate),
		DateOfBirth:          plain(e.DateOfBirth),
		JobRole:              special(e.JobRole, historyJobRole),
		Company:              special(e.Company, historyEffectiveDate),
		Location:             special(e.Location, historyEffectiveDate),
		Department:           special(e.Department, historyEffectiveDate),
		ReportsTo:            special(e.ReportsTo, historyEffectiveDate),
		ReportsToEmployeeID:  bare(e.ReportsToEmployeeID),
		NISNumber:            plain(e.NISNumber),
		EmploymentType:       special(e.EmploymentType, historyEffectiveDate),
		EmployeeStatus:       bare(e.EmployeeStatus),
		HolidayAllowanceDays: bare("25.00"),
		Gender:               plain(e.Gender),
		LeavingDate:          e.LeavingDate,
		ReasonForLeaving:     e.ReasonForLeaving,
		APIColumn1:           e.APIColumn1,
		APIColumn2:           e.APIColumn2,
		APIColumn3:           e.APIColumn3,
		APIColumn4:           e.APIColumn4,
		APIColumn5:           e.APIColumn5,
		ContactDetail: wireGroup{
			{"Address", plain(e.ContactDetail.Address)},
			{"WorkPhoneNumber", plain(e.ContactDetail.WorkPhoneNumber)},
			{"PersonalPhoneNumber", plain(e.ContactDetail.PersonalPhoneNumber)},
			{"PersonalEmail", plain(e.ContactDetail.PersonalEmail)},
			{"Mobile", plain(e.ContactDetail.Mobile)},
		},
		BankDetail: wireGroup{
			{"AccountName", plain(e.BankDetail.AccountName)},
			{"AccountNumber", plain(e.BankDetail.AccountNumber)},
			{"SortCode", plain(e.BankDetail.SortCode)},
		},
		EmploymentDetail: wireGroup{
			{"PayrollCompany", plain(e.EmploymentDetail.PayrollCompany)},
			{"PayrollID", plain(e.EmploymentDetail.PayrollID)},
			{"BenefitsID", plain(e.EmploymentDetail.BenefitsID)},
		},
	}
}
