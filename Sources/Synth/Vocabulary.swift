/// Fictional names and words, ready as CSV field bytes. Some names are not ASCII, as real records are.
enum Vocabulary {
    static let givenNames: [[UInt8]] = [
        "Zoë", "Siobhán", "Łukasz", "Aoife", "Chloé", "Renée", "Zoltán", "Anaïs", "Joël", "Oisín",
        "Niamh", "Bartłomiej", "Zuzanna", "Amelia", "Oliver", "Muhammad", "Aisha", "Olivia", "Noah",
        "Isla", "Leo", "Ava", "Freya", "Jack", "Harry", "Ivy", "Mia", "Theo", "Arthur", "Grace",
        "Ruby", "Alfie", "George", "Lily", "Evie", "Sophia", "Ella", "Poppy", "Ayesha", "Yusuf",
        "Priya", "Arjun", "Kacper", "Maja", "Jakub", "Amara", "Kofi", "Chidi", "Maryam", "Ibrahim",
        "Ellie", "Daniel", "Tyler", "Kai", "Logan", "Sienna", "Willow", "Mason", "Harper", "Reuben",
    ].map(csvField)

    static let familyNames: [[UInt8]] = [
        "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Robinson",
        "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall", "Wood",
        "Jackson", "Clarke", "Patel", "Khan", "Ahmed", "Hussain", "Kowalski", "Nowak", "Wiśniewski",
        "O'Brien", "Murphy", "Kelly", "Byrne", "Ní Bhriain", "Nguyen", "Okafor", "Mensah", "Begum",
        "Ali", "Singh", "Kaur", "Lewis", "Harris", "Martin", "Cooper", "Ward", "Hughes", "Edwards",
        "Turner", "Hill", "Moore", "Mitchell", "Baker", "Young", "King", "Scott", "Ellis", "Shaw",
        "Müller", "Kovács", "Popescu", "Brontë",
    ].map(csvField)

    /// What a child said: a few hold a comma, a quote or a line break, which CSV must quote.
    static let voices: [[UInt8]] = [
        "I was in my room.",
        "Mum and dad were shouting, I put my headphones on.",
        "He said \"go upstairs\" so I did.",
        "I heard banging.\nI hid under the bed with my sister.",
        "I don't want to talk about it.",
        "I was scared, so I rang Nan.",
        "I looked after my little brother.",
        "I want it to stop.",
        "She was crying, then the police came.",
        "Nothing happened, we were watching TV.",
        "I'm worried about Mum.",
        "He told me to say \"it was fine\", but it wasn't.",
    ].map(csvField)

    static let tools: [[UInt8]] = ["DASH", "DARA", "DASH24", "NONE"].map(csvField)
    static let grades: [[UInt8]] = ["standard", "medium", "high"].map(csvField)
}
