aws_access_key_id = "AKIAQWERTYUIOPASDFGHJ"
aws_secret_access_key = "q8W3e5R7t9Y1u3I5o7P9a1S3d5F7g9H1j3K5l7Z9"
