    name = "AUD001"
    role = "auditor"
