    name = "yunxi"
    role = "applicant"
    org = "HZYX-APPLIANCES"
