package pii

import (
	"strings"
	"unicode"
)

// IsICD10 reports whether s is written as an ICD-10 code: a category of a
// letter and two digits, optionally followed by up to four more characters
// (digits or letters, as ICD-10-CM's extensions use), with or without the
// dot after the category ("E11.9", "J45.909", "S52.521A", "E119").
// The categories must exist in WHO ICD-10 (2019) or ICD-10-CM: U is reserved
// for special purposes and refused, as are the unused ends of chapters
// (E91–E99, H96–H99, K96–K99, P97–P99, T99).
func IsICD10(s string) bool {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) < 3 || len(s) > 8 {
		return false
	}
	l := s[0]
	if l < 'A' || l > 'Z' || l == 'U' || s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9' {
		return false
	}
	n := atoi(s[1:3])
	switch {
	case l == 'E' && n > 90, l == 'H' && n > 95, l == 'K' && n > 95, l == 'P' && n > 96, l == 'T' && n > 98:
		return false
	}
	rest := s[3:]
	if strings.HasPrefix(rest, ".") {
		rest = rest[1:]
		if rest == "" {
			return false
		}
	}
	if len(rest) > 4 {
		return false
	}
	for i := 0; i < len(rest); i++ {
		if !isAlnum(rest[i]) {
			return false
		}
	}
	return true
}

// IsMedicalRecordNumber reports whether s looks like a medical record number:
// an optional prefix of up to four letters and a separator, then 5 to 12
// digits, optionally a final check letter ("MRN-0045821", "H2048573",
// "00123456"). A medical record number has no standard format — each
// hospital information system makes its own — so this shape alone proves
// nothing; ClassifyColumn uses it only under a column name that says medical
// record, and ScanText only after the words "MRN" or "medical record".
func IsMedicalRecordNumber(s string) bool {
	s = strings.ToUpper(strings.TrimSpace(s))
	i := 0
	for i < len(s) && i < 4 && isAlpha(s[i]) {
		i++
	}
	if i < len(s) && (s[i] == '-' || s[i] == ' ' || s[i] == '/' || s[i] == '.') && i > 0 {
		i++
	}
	rest := s[i:]
	if n := len(rest); n > 0 && isAlpha(rest[n-1]) {
		rest = rest[:n-1]
	}
	return len(rest) >= 5 && len(rest) <= 12 && allDigits(rest)
}

// HealthTerms counts the words and phrases of the embedded health vocabulary
// (diagnoses, conditions, symptoms, medications and procedures, in English,
// French and German) that occur in s. Matching is case-insensitive and on
// whole words.
func HealthTerms(s string) int {
	words := splitWords(s)
	n := 0
	for i := 0; i < len(words); i++ {
		if phraseStarts[words[i]] {
			if i+2 < len(words) && healthPhrases[words[i]+" "+words[i+1]+" "+words[i+2]] {
				n++
				i += 2
				continue
			}
			if i+1 < len(words) && healthPhrases[words[i]+" "+words[i+1]] {
				n++
				i++
				continue
			}
		}
		if healthWords[words[i]] {
			n++
		}
	}
	return n
}

// splitWords returns the lower-cased words of s: runs of letters and digits.
func splitWords(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

var healthWords, healthPhrases = vocabulary(healthVocabulary)

// phraseStarts are the first words of the vocabulary's phrases.
var phraseStarts = func() map[string]bool {
	m := map[string]bool{}
	for p := range healthPhrases {
		m[strings.Fields(p)[0]] = true
	}
	return m
}()

func vocabulary(text string) (words, phrases map[string]bool) {
	words, phrases = map[string]bool{}, map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		for _, t := range strings.Split(line, ",") {
			w := splitWords(t)
			switch len(w) {
			case 0:
			case 1:
				words[w[0]] = true
			default:
				phrases[strings.Join(w, " ")] = true
			}
		}
	}
	return words, phrases
}

// healthVocabulary is a small vocabulary curated for vigil: common
// diagnoses, conditions, symptoms, medications (international non-proprietary
// names) and procedures. Words that are also everyday words ("cold",
// "pressure", "test") are left out or written as phrases.
const healthVocabulary = `
# conditions and diagnoses
diabetes, diabetic, hypertension, hypotension, asthma, asthmatic, copd, emphysema, bronchitis, pneumonia
influenza, covid, tuberculosis, hepatitis, hiv, aids, cirrhosis, pancreatitis, gastritis, colitis
appendicitis, cholecystitis, diverticulitis, crohn, celiac, coeliac, ulcerative colitis, peptic ulcer
cancer, carcinoma, melanoma, leukemia, leukaemia, lymphoma, sarcoma, tumour, tumor, metastasis, metastases
stroke, epilepsy, seizure, seizures, dementia, alzheimer, parkinson, multiple sclerosis, migraine, neuropathy
depression, depressive, anxiety, schizophrenia, bipolar, psychosis, adhd, autism, anorexia, bulimia, insomnia
obesity, anemia, anaemia, hypothyroidism, hyperthyroidism, hyperlipidemia, hypercholesterolemia, gout
arthritis, osteoarthritis, osteoporosis, rheumatoid, fibromyalgia, scoliosis, tendinitis, bursitis
fracture, sprain, concussion, laceration, contusion, dislocation, whiplash
tachycardia, bradycardia, arrhythmia, fibrillation, angina, myocardial infarction, heart failure, cardiomyopathy
thrombosis, embolism, aneurysm, atherosclerosis, varicose
eczema, psoriasis, dermatitis, acne, rosacea, urticaria, cellulitis, shingles, herpes, scabies
sinusitis, otitis, tonsillitis, pharyngitis, laryngitis, conjunctivitis, glaucoma, cataract, tinnitus
cystitis, nephritis, pyelonephritis, kidney stones, renal failure, incontinence, prostatitis, endometriosis
pregnancy, pregnant, miscarriage, preeclampsia, gestational, infertility, menopause
allergy, allergic, anaphylaxis, sepsis, infection, abscess, chlamydia, gonorrhea, syphilis
# French and German
diabète, hypertension artérielle, asthme, cancer, dépression, grossesse, insuffisance cardiaque, épilepsie
zuckerkrankheit, bluthochdruck, krebs, schlaganfall, herzinfarkt, schwangerschaft, lungenentzündung
# symptoms
fever, cough, nausea, vomiting, diarrhea, diarrhoea, headache, dizziness, vertigo, fatigue, chest pain
shortness of breath, dyspnea, dyspnoea, palpitations, rash, syncope, edema, oedema, jaundice, wheezing
# medications
metformin, insulin, glipizide, sitagliptin, lisinopril, enalapril, ramipril, amlodipine, losartan
valsartan, hydrochlorothiazide, furosemide, metoprolol, bisoprolol, atenolol, atorvastatin, simvastatin
rosuvastatin, warfarin, apixaban, rivaroxaban, clopidogrel, aspirin, levothyroxine, omeprazole
pantoprazole, ranitidine, amoxicillin, azithromycin, doxycycline, ciprofloxacin, cephalexin
ibuprofen, paracetamol, acetaminophen, naproxen, diclofenac, tramadol, morphine, oxycodone, codeine
sertraline, fluoxetine, citalopram, escitalopram, venlafaxine, bupropion, mirtazapine, quetiapine
olanzapine, risperidone, lithium, lamotrigine, levetiracetam, gabapentin, pregabalin, diazepam
lorazepam, alprazolam, zolpidem, salbutamol, albuterol, fluticasone, budesonide, montelukast
prednisone, prednisolone, methotrexate, allopurinol, tamsulosin, finasteride, sildenafil
# procedures
biopsy, chemotherapy, radiotherapy, dialysis, mri, ct scan, x ray, ultrasound, ecg, ekg, colonoscopy
endoscopy, mammogram, vaccination, immunisation, immunization, appendectomy, angioplasty, physiotherapy
`
