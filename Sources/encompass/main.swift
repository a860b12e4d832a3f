print("encompass")
