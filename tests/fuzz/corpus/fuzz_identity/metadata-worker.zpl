    name = "worker-1"
    role = "worker"
    org = ""
