package gen

// The generator's own lists of names, streets, towns and clinical phrases.
// They are made up for the generator and deliberately differ from the
// classifier's lists in package pii: some common names here are not in
// those lists, as real data holds names the lists lack. No entry is a real
// person's data beyond common given names and surnames.

type locale struct {
	country  string // ISO 3166 alpha-2
	given    []string
	surnames []string
	streets  []string
	towns    []string
}

var locales = []locale{
	{
		country: "US",
		given: []string{"James", "Mary", "Robert", "Patricia", "Michael", "Jennifer", "William", "Linda",
			"David", "Elizabeth", "Joseph", "Susan", "Thomas", "Jessica", "Charles", "Sarah", "Daniel",
			"Karen", "Matthew", "Nancy", "Anthony", "Betty", "Donald", "Sandra", "Kevin", "Ashley",
			"Brian", "Dorothy", "Tyler", "Kimberly", "Marcus", "Brianna", "Dwayne", "Latoya", "Caleb",
			"Savannah", "Wyatt", "Harper", "Colton", "Paisley"},
		surnames: []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
			"Wilson", "Anderson", "Taylor", "Moore", "Jackson", "White", "Harris", "Thompson", "Clark",
			"Lewis", "Walker", "Young", "Allen", "Wright", "Hill", "Green", "Baker", "Nelson", "Carter",
			"Mitchell", "Roberts", "Turner", "Whitfield", "Delgado", "Okafor", "Lindqvist", "Prescott",
			"Abernathy", "Castellanos", "Haskins"},
		streets: []string{"Maple", "Oak", "Cedar", "Elm", "Washington", "Lake", "Hill", "Pine", "Sunset",
			"Park", "Jefferson", "Lincoln", "Highland", "Meadow", "River"},
		towns: []string{"Springfield, IL 62704", "Madison, WI 53703", "Franklin, TN 37064", "Salem, OR 97301",
			"Fairview, NJ 07022", "Georgetown, TX 78626", "Clinton, IA 52732", "Arlington, VA 22201"},
	},
	{
		country: "FR",
		given: []string{"Jean", "Marie", "Pierre", "Nathalie", "Michel", "Isabelle", "Philippe", "Sylvie",
			"Alain", "Catherine", "Nicolas", "Sophie", "Christophe", "Valérie", "Laurent", "Sandrine",
			"Julien", "Céline", "Olivier", "Aurélie", "Hugo", "Léa", "Lucas", "Manon", "Thibault",
			"Gwenaëlle", "Enzo", "Maëlys", "Yannick", "Solène", "Baptiste", "Clémence", "Arnaud", "Ophélie"},
		surnames: []string{"Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
			"Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand",
			"Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier", "Dupont", "Lambert",
			"Bonnet", "François", "Le Goff", "Kerbrat", "Quéméneur", "Delacroix", "Chauvin", "Maillard"},
		streets: []string{"rue de la Paix", "rue Victor Hugo", "avenue Jean Jaurès", "boulevard Voltaire",
			"rue des Lilas", "chemin des Vignes", "allée des Tilleuls", "rue Pasteur", "impasse du Moulin",
			"place de la République", "quai de la Loire", "rue du Général Leclerc"},
		towns: []string{"75011 Paris", "69007 Lyon", "13006 Marseille", "31000 Toulouse", "44000 Nantes",
			"67000 Strasbourg", "33000 Bordeaux", "20000 Ajaccio", "35000 Rennes"},
	},
	{
		country: "GB",
		given: []string{"Oliver", "Amelia", "George", "Isla", "Harry", "Ava", "Jack", "Emily", "Charlie",
			"Sophie", "Thomas", "Grace", "Jacob", "Lily", "Alfie", "Freya", "Oscar", "Ella", "Callum",
			"Niamh", "Rhys", "Siobhan", "Declan", "Eilidh", "Hamish", "Bethan", "Alistair", "Imogen"},
		surnames: []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
			"Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
			"Wood", "Jackson", "Clarke", "Patel", "Khan", "Lewis", "Hughes", "MacLeod", "Pritchard",
			"Ashworth", "Fairbairn", "Llewellyn", "Cartwright"},
		streets: []string{"High Street", "Station Road", "Church Lane", "Victoria Road", "Green Lane",
			"Manor Road", "Park Avenue", "Queens Road", "Mill Lane", "Kings Close", "Orchard Way",
			"Albert Terrace", "Windsor Crescent"},
		towns: []string{"London SW1A 2AA", "Leeds LS1 4AP", "Bristol BS1 5TR", "Manchester M1 1AE",
			"Cardiff CF10 1EP", "Edinburgh EH1 1YZ", "York YO1 7HH", "Norwich NR2 1NH"},
	},
	{
		country: "DE",
		given: []string{"Peter", "Ursula", "Klaus", "Monika", "Wolfgang", "Petra", "Jürgen", "Sabine",
			"Stefan", "Andrea", "Thomas", "Claudia", "Andreas", "Susanne", "Michael", "Birgit", "Lukas",
			"Lena", "Jonas", "Hanna", "Finn", "Mia", "Leon", "Emma", "Torsten", "Heike", "Dirk",
			"Anke", "Jannik", "Wiebke"},
		surnames: []string{"Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
			"Schulz", "Hoffmann", "Schäfer", "Koch", "Bauer", "Richter", "Klein", "Wolf", "Schröder",
			"Neumann", "Schwarz", "Zimmermann", "Braun", "Krüger", "Hofmann", "Hartmann", "Lange",
			"Brinkmann", "Oberländer", "Kessler", "Dietrich", "Vogt"},
		streets: []string{"Hauptstraße", "Schulstraße", "Gartenstraße", "Bahnhofstraße", "Dorfstraße",
			"Bergweg", "Lindenallee", "Marktplatz", "Kirchgasse", "Am Mühlenweg", "Rosenweg", "Goethestraße"},
		towns: []string{"10115 Berlin", "80331 München", "20095 Hamburg", "50667 Köln", "60311 Frankfurt am Main",
			"70173 Stuttgart", "04109 Leipzig", "28195 Bremen"},
	},
}

// Clinical vocabulary of the generator's notes. Some terms are not in the
// classifier's vocabulary, as real notes hold words no list has.
var (
	conditions = []string{"type 2 diabetes", "hypertension", "asthma", "COPD", "depression",
		"generalised anxiety", "migraine", "osteoarthritis", "eczema", "psoriasis", "hypothyroidism",
		"atrial fibrillation", "heart failure", "chronic kidney disease", "gout", "sciatica",
		"plantar fasciitis", "GERD", "iron deficiency anaemia", "sleep apnoea", "hyperhidrosis",
		"pneumonia", "bronchitis", "otitis media", "cystitis", "sinusitis", "tendinitis"}
	symptoms = []string{"persistent cough", "fever", "headache", "dizziness", "fatigue", "chest pain",
		"shortness of breath", "nausea", "lower back pain", "joint stiffness", "rash", "palpitations",
		"insomnia", "sore throat", "abdominal pain"}
	medications = []string{"metformin", "lisinopril", "amlodipine", "atorvastatin", "levothyroxine",
		"omeprazole", "amoxicillin", "salbutamol", "sertraline", "ibuprofen", "paracetamol", "apixaban",
		"bisoprolol", "furosemide", "allopurinol", "prednisolone", "cetirizine", "mometasone"}
	// icd10 are ICD-10 codes, some with subcategories.
	icd10 = []string{"E11.9", "I10", "J45.909", "J44.9", "F32.9", "F41.1", "G43.909", "M17.11",
		"L20.9", "L40.0", "E03.9", "I48.91", "I50.9", "N18.3", "M10.9", "M54.3", "M72.2", "K21.9",
		"D50.9", "G47.33", "R61", "J18.9", "J20.9", "H66.90", "N30.00", "J32.9", "M77.9", "Z00.00",
		"S52.521A", "R05", "R51", "K52.9", "B34.9", "A09"}
	// neutral notes hold no health term: not every visit note does.
	neutral = []string{"Follow-up in three months.", "Patient did not attend; rebooked.",
		"Forms completed for the employer.", "Discussed results, no change.", "Phone consultation, see letter.",
		"Travel advice given.", "Administrative visit."}
)

// Non-personal values.
var (
	products = []string{"Nitrile gloves, box of 100", "Sterile gauze pads 10x10", "Syringe 5 ml Luer lock",
		"Examination couch roll", "Surgical masks type IIR", "Alcohol swabs", "Tongue depressors",
		"Thermometer probe covers", "Specimen containers 60 ml", "Paper towels", "Printer toner black",
		"Sharps container 2 l", "Ear speculum disposable", "Bandage crepe 7.5 cm"}
	suppliers = []string{"Medline", "Henry Schein", "Praxisdienst", "MediSupply Ltd", "Hartmann",
		"Office Depot", "Lyreco", "Cardinal Health", "Owens & Minor", "Dräger"}
	statuses  = []string{"paid", "pending", "overdue", "cancelled", "refunded"}
	roles     = []string{"physician", "nurse", "receptionist", "practice manager", "pharmacist", "billing"}
	insurers  = []string{"AXA", "Allianz", "Aetna", "Bupa", "MGEN", "Techniker Krankenkasse", "Kaiser", "Humana"}
	junk      = []string{"unknown", "?", "TBD", "see paper file", "refused", "0"}
	countries = []string{"US", "FR", "GB", "DE"}
)
