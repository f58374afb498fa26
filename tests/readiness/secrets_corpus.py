"""Seeded secrets and look-alikes for SEC-01, generated at test time (format-valid, never real).

Generating them keeps realistic credentials out of the repository (and out of push protection).
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import string
import uuid

R = random.Random(20260101)
UP, LO, DIG = string.ascii_uppercase, string.ascii_lowercase, string.digits
ALNUM = UP + LO + DIG


def rand(chars: str, n: int) -> str:
    return "".join(R.choice(chars) for _ in range(n))


def b64url(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def jwt() -> str:
    return f"{b64url({'alg': 'HS256', 'typ': 'JWT'})}.{b64url({'sub': '1234', 'name': 'svc'})}.{rand(ALNUM + '-_', 43)}"


def pem(kind: str) -> str:
    body = "\n".join(rand(ALNUM + "+/", 64) for _ in range(4))
    return f"-----BEGIN {kind}-----\n{body}\n-----END {kind}-----"


def secrets() -> list[tuple[str, str, str]]:
    """(kind, text, where): where is "code" (a cell source) or "output" (a stream output)."""
    aws_id = "AKIA" + rand(UP + "234567", 16)
    aws_secret = rand(ALNUM + "/+", 40)
    gcp_key = json.dumps({"type": "service_account", "project_id": "churn-prod",
                          "private_key_id": rand("0123456789abcdef", 40),
                          "client_email": "svc@churn-prod.iam.gserviceaccount.com"}, indent=1)
    return [
        ("AWS access key id", f'aws_access_key_id = "{aws_id}"', "code"),
        ("AWS secret key", f'boto3.client("s3", aws_secret_access_key="{aws_secret}")', "code"),
        ("GitHub PAT", f'gh = Github("ghp_{rand(ALNUM, 36)}")', "code"),
        ("GitHub fine-grained PAT", f'token = "github_pat_{rand(ALNUM, 22)}_{rand(ALNUM, 59)}"', "code"),
        ("GitLab PAT", f'gl = gitlab.Gitlab(url, private_token="glpat-{rand(ALNUM, 20)}")', "code"),
        ("Slack bot token", f'client = WebClient("xoxb-{rand(DIG, 12)}-{rand(DIG, 13)}-{rand(LO + DIG, 24)}")', "code"),
        ("Slack webhook", f'requests.post("https://hooks.slack.com/services/T{rand(UP + DIG, 8)}/B{rand(UP + DIG, 10)}/'
                          f'{rand(ALNUM, 24)}", json=msg)', "code"),
        ("Stripe live key", f'stripe.api_key = "sk_live_{rand(ALNUM, 24)}"', "code"),
        ("Stripe restricted key", f'STRIPE = "rk_live_{rand(ALNUM, 24)}"', "code"),
        ("OpenAI key (legacy)", f'openai.api_key = "sk-{rand(ALNUM, 20)}T3BlbkFJ{rand(ALNUM, 20)}"', "code"),
        ("OpenAI project key", f'client = OpenAI(api_key="sk-proj-{rand(ALNUM + "-_", 64)}")', "code"),
        ("Anthropic key", f'anthropic.Anthropic(api_key="sk-ant-api03-{rand(ALNUM + "-_", 93)}AA")', "code"),
        ("Hugging Face token", f'login(token="hf_{rand(ALNUM, 34)}")', "code"),
        ("JWT", f'headers = {{"X-Session": "{jwt()}"}}', "code"),
        ("RSA private key", f'KEY = """{pem("RSA PRIVATE KEY")}"""', "code"),
        ("OpenSSH private key", f'ssh_key = """{pem("OPENSSH PRIVATE KEY")}"""', "code"),
        ("EC private key", f'ec = """{pem("EC PRIVATE KEY")}"""', "code"),
        ("Postgres URL", f'engine = create_engine("postgresql://analyst:{rand(ALNUM, 14)}@db.internal:5432/churn")', "code"),
        ("MySQL URL", f'DB = "mysql+pymysql://root:{rand(ALNUM, 12)}!@10.0.3.4/sales"', "code"),
        ("MongoDB URL", f'MongoClient("mongodb+srv://app:{rand(ALNUM, 16)}@cluster0.ab1cd.mongodb.net/prod")', "code"),
        ("Redis URL", f'r = redis.from_url("redis://:{rand(ALNUM, 20)}@cache.internal:6379/0")', "code"),
        ("MSSQL URL", f'create_engine("mssql+pyodbc://sa:Passw0rd{rand(DIG, 3)}@sqlsrv/dw?driver=ODBC")', "code"),
        ("password in code", 'password = "Tr0ub4dor&3xyz"', "code"),
        ("password kwarg", f'psycopg2.connect(host="db", user="etl", password="{rand(ALNUM, 12)}")', "code"),
        ("password in dict", f'cfg = {{"user": "etl", "password": "{rand(ALNUM, 10)}9"}}', "code"),
        ("basic auth URL", f'requests.get("https://admin:{rand(ALNUM, 10)}@jenkins.corp.net/api/json")', "code"),
        ("Azure storage connection string",
         f'conn = "DefaultEndpointsProtocol=https;AccountName=churnsa;AccountKey={rand(ALNUM + "+/", 86)}==;'
         f'EndpointSuffix=core.windows.net"', "code"),
        ("Azure service bus key", f'sb = "Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=root;'
                                  f'SharedAccessKey={rand(ALNUM + "+/", 43)}="', "code"),
        ("Azure AD client secret", f'client_secret = "{rand(ALNUM + "~._-", 40)}"', "code"),
        ("GCP service account (output)", gcp_key, "output"),
        ("Google API key", f'maps = googlemaps.Client(key="AIza{rand(ALNUM + "-_", 35)}")', "code"),
        ("SendGrid key", f'sg = SendGridAPIClient("SG.{rand(ALNUM + "-_", 22)}.{rand(ALNUM + "-_", 43)}")', "code"),
        ("Twilio SID", f'Client("AC{rand("0123456789abcdef", 32)}", auth)', "code"),
        ("Mailchimp key", f'mc.set_config({{"api_key": "{rand("0123456789abcdef", 32)}-us6"}})', "code"),
        ("npm token", f'NPM_TOKEN = "npm_{rand(ALNUM, 36)}"', "code"),
        ("PyPI token", f'TWINE = "pypi-AgEIcHlwaS5vcmc{rand(ALNUM + "-_", 70)}"', "code"),
        ("Discord bot token", f'bot.run("M{rand(ALNUM, 23)}.{rand(ALNUM, 6)}.{rand(ALNUM + "-_", 27)}")', "code"),
        ("Telegram bot token", f'Bot("{rand(DIG, 10)}:AA{rand(ALNUM + "-_", 33)}")', "code"),
        ("Databricks token", f'DATABRICKS_TOKEN = "dapi{rand("0123456789abcdef", 32)}"', "code"),
        ("Shopify token", f'shop = "shpat_{rand("0123456789abcdef", 32)}"', "code"),
        ("DigitalOcean token", f'do = "dop_v1_{rand("0123456789abcdef", 64)}"', "code"),
        ("Bearer header", f'headers = {{"Authorization": "Bearer {rand(ALNUM, 40)}"}}', "code"),
        ("Square token", f'sq = "sq0atp-{rand(ALNUM + "-_", 22)}"', "code"),
        # the same kinds, leaked through outputs
        ("AWS key in env dump (output)", f"AWS_ACCESS_KEY_ID={aws_id}\nAWS_SECRET_ACCESS_KEY={aws_secret}\n", "output"),
        ("DB URL in log (output)", f"INFO connecting to postgresql://etl:{rand(ALNUM, 14)}@10.1.2.3/warehouse\n", "output"),
        ("token printed (output)", f"ghp_{rand(ALNUM, 36)}\n", "output"),
        ("password in printed config (output)", f"{{'host': 'db', 'password': 'S3cr3t{rand(ALNUM, 6)}'}}\n", "output"),
        ("API key in .env cat (output)", f"OPENAI_API_KEY=sk-proj-{rand(ALNUM, 64)}\nDEBUG=1\n", "output"),
        ("JWT in response (output)", f'{{"access_token": "{jwt()}", "expires_in": 3600}}\n', "output"),
        ("private key printed (output)", pem("PRIVATE KEY") + "\n", "output"),
    ]


def look_alikes() -> list[tuple[str, str, str]]:
    """(kind, text, where): things that look like secrets in notebooks but are not."""
    sha256 = hashlib.sha256(b"churn").hexdigest()
    png = base64.b64encode(bytes(R.randrange(256) for _ in range(3000))).decode()
    return [
        ("uuid4", f'run_id = "{uuid.UUID(int=R.getrandbits(128), version=4)}"', "code"),
        ("uuid1 in output", f"experiment {uuid.UUID(int=R.getrandbits(128), version=1)} created\n", "output"),
        ("git sha", f'commit = "{rand("0123456789abcdef", 40)}"', "code"),
        ("short git sha", f"HEAD is now at {rand('0123456789abcdef', 7)} fix features\n", "output"),
        ("sha256 hash", f'expected_sha256 = "{sha256}"', "code"),
        ("md5 hash", f'checksum = "{hashlib.md5(b"x").hexdigest()}"', "code"),
        ("sha256 in pip output", f"Successfully built pkg sha256={sha256}\n", "output"),
        ("base64 PNG (raw text)", png, "output"),
        ("data URI in HTML", f'<img src="data:image/png;base64,{png[:400]}">', "output"),
        ("placeholder <YOUR_KEY>", 'api_key = "<YOUR_KEY>"', "code"),
        ("placeholder YOUR_API_KEY", 'openai.api_key = "YOUR_API_KEY"', "code"),
        ("placeholder xxxx", 'password = "xxxxxxxx"', "code"),
        ("placeholder ***", 'token = "********"', "code"),
        ("placeholder ${VAR}", 'url = "postgresql://etl:${PGPASSWORD}@db/warehouse"', "code"),
        ("f-string", 'url = f"postgresql://{user}:{password}@{host}/db"', "code"),
        ("env lookup os.environ", 'key = os.environ["AWS_SECRET_ACCESS_KEY"]', "code"),
        ("env lookup getenv", 'password = os.getenv("DB_PASSWORD")', "code"),
        ("getpass", 'password = getpass.getpass("Password: ")', "code"),
        ("getpass import", "from getpass import getpass\npwd = getpass()", "code"),
        ("env var name as value", 'TOKEN_ENV = "GITHUB_TOKEN"\nsecret_name = "DB_PASSWORD"', "code"),
        ("AWS documentation example key", 'aws_access_key_id = "AKIAIOSFODNN7EXAMPLE"', "code"),
        ("URL without credentials", 'engine = create_engine("postgresql://db.internal:5432/churn")', "code"),
        ("mongodb localhost", 'MongoClient("mongodb://localhost:27017/")', "code"),
        ("https URL", 'requests.get("https://api.github.com/repos/org/repo/commits")', "code"),
        ("tokenizer", 'tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")\nmax_tokens = 512', "code"),
        ("token counts", "tokens = ['the', 'cat', 'sat']\nn_tokens = len(tokens)", "code"),
        ("password field name", 'PASSWORD_FIELD = "password"\nform = {"username": "", "password": ""}', "code"),
        ("password hashing", 'password_hash = hashlib.sha256(pw.encode()).hexdigest()', "code"),
        ("keyword-ish sentence", 'secret_message = "the quick brown fox"', "code"),
        ("IP address", 'HOST = "10.20.30.40"\nPORT = 8080', "code"),
        ("hex color", 'palette = ["#1f77b4", "#ff7f0e", "#2ca02c"]', "code"),
        ("version strings", "torch 2.13.0+cpu\nnumpy 1.26.4\n", "output"),
        ("dataframe of ids", "   customer_id  score\n0  9f86d081884c7d65  0.91\n1  a665a45920422f9d  0.13\n", "output"),
        ("ellipsis key in docs", 'client = OpenAI(api_key="sk-...")', "code"),
        ("Bearer with variable", 'headers = {"Authorization": f"Bearer {token}"}', "code"),
        ("kwarg passthrough", "conn = connect(user=user, password=password)", "code"),
        ("password from args", "password = args.password", "code"),
        ("widget model id", '{"model_id": "' + uuid.UUID(int=R.getrandbits(128), version=4).hex + '", "version_major": 2}',
         "output"),
        ("numbers in output", "array([0.12345678, 0.98765432, 0.55555555])\n", "output"),
        ("traceback path", 'File "/usr/lib/python3.11/site-packages/sklearn/base.py", line 1152\n', "output"),
    ]


def issue12_forms() -> list[tuple[str, str, str, str]]:
    """(kind, text, where, secret): the forms issue 12 found missed and close neighbours; `secret` is what
    redaction must hide."""
    pw, pw2, key = rand(ALNUM, 12), rand(LO, 10), rand("0123456789abcdef", 32)
    enc = pem("ENCRYPTED PRIVATE KEY")
    return [
        ("X-API-Key header", f'headers = {{"X-API-Key": "{key}"}}', "code", key),
        ("X-Auth-Token header with letters only", f'requests.get(url, headers={{"X-Auth-Token": "{pw2}"}})', "code", pw2),
        ("Ocp-Apim-Subscription-Key header", f'h = {{"Ocp-Apim-Subscription-Key": "{key}"}}', "code", key),
        ("X-API-Key in printed request headers (output)", f"X-API-Key: {key}\nAccept: */*\n", "output", key),
        ("curl -u user:pw", f"!curl -u admin:{pw} https://jenkins.corp.net/api/json", "code", pw),
        ("curl --user quoted", f'!curl -s --user "etl:{pw2}" https://api.corp.net/v1/export -o data.csv', "code", pw2),
        ("curl -u in a %%bash cell", f"%%bash\ncurl -X POST -u svc:{pw} https://api.corp.net/v1/jobs", "code", pw),
        ("ODBC Pwd=...;", f'conn = pyodbc.connect("Driver={{ODBC Driver 18 for SQL Server}};Server=sql.corp;'
                          f'Database=dw;Uid=sa;Pwd={pw};")', "code", pw),
        ("ODBC PWD at the end, letters only", f'cs = "DSN=warehouse;UID=etl;PWD={pw2}"', "code", pw2),
        ("JDBC password=...&", f'url = "jdbc:mysql://db.corp:3306/sales?user=etl&password={pw}&useSSL=true"', "code", pw),
        ("JDBC password last", f'spark.read.jdbc("jdbc:postgresql://db/dw?user=etl&password={pw2}", "t")', "code", pw2),
        ("--password= option", f"!mysqldump -u root --password={pw2} sales > dump.sql", "code", pw2),
        ('os.environ["X"] = "literal"', f'os.environ["DB_PASSWORD"] = "{pw2}"', "code", pw2),
        ('os.environ["KAGGLE_KEY"] = "literal"', f"os.environ['KAGGLE_KEY'] = '{key}'", "code", key),
        ("os.environ.setdefault", f'os.environ.setdefault("API_TOKEN", "{pw}")', "code", pw),
        ("os.putenv", f'os.putenv("SNOWFLAKE_PASSWORD", "{pw2}")', "code", pw2),
        ("os.environ.update", f'os.environ.update({{"HF_TOKEN": "{pw}"}})', "code", pw),
        ("%env NAME=value", f"%env OPENAI_API_KEY={pw}", "code", pw),
        ("%env NAME value", f"%env DB_PASSWORD {pw2}", "code", pw2),
        ("%%writefile .env", f"%%writefile .env\nDB_HOST=db.internal\nDB_PASSWORD={pw2}\n", "code", pw2),
        ("requests auth tuple", f'requests.get(url, auth=("admin", "{pw2}"))', "code", pw2),
        ("HTTPBasicAuth", f'HTTPBasicAuth("admin", "{pw}")', "code", pw),
        ("BEGIN ENCRYPTED PRIVATE KEY", f'key = """{enc}"""', "code", enc.split("\n")[2]),
        ("BEGIN ENCRYPTED PRIVATE KEY printed (output)", enc + "\n", "output", enc.split("\n")[1]),
        ("f-string connection string with a literal password",
         f'conn = f"host={{host}};user={{user}};password={pw};"', "code", pw),
        ("f-string URL with a literal password", f'url = f"postgresql://etl:{pw}@{{host}}:5432/dw"', "code", pw),
        ("password = f-string with literal parts", 'password = f"abc{x}def"', "code", "abc{x}def"),
        ("rf-string password", f'db_password = rf"{pw}\\{{suffix}}"', "code", pw),
        ('password containing "Sample"', 'password = "Sample#2024pw"', "code", "Sample#2024pw"),
        ('password containing "example"', 'cfg = {"password": "example!Pr0d"}', "code", "example!Pr0d"),
        ("password containing {}", 'db_password = "pa{}ss99"', "code", "pa{}ss99"),
        (".env dump without digits (output)", f"DB_HOST=db.internal\nDB_USER=etl\nDB_PASSWORD={pw2}\n", "output", pw2),
        ("printed env, secret key of words (output)", "SECRET_KEY=correcthorsebatterystaple\nDEBUG=False\n",
         "output", "correcthorsebatterystaple"),
        ("printed export line (output)", f"export GITLAB_TOKEN={pw2}\n", "output", pw2),
        ("ini file printed (output)", f"[database]\nhost = db.internal\npassword = {pw2}\n", "output", pw2),
        ("libpq DSN", f'psycopg2.connect("dbname=dw user=etl password={pw2} host=db.internal")', "code", pw2),
        ("inline env in a shell line", f"!PGPASSWORD={pw2} psql -h db.internal -U etl -c 'select 1'", "code", pw2),
        ("smtp login", f'server.login("reports@corp.com", "{pw}")', "code", pw),
        ("yaml config printed (output)", f"db:\n  user: etl\n  password: {pw2}\n", "output", pw2),
    ]


def issue12_look_alikes() -> list[tuple[str, str, str]]:
    """(kind, text, where): look-alikes next to the issue-12 forms, which must stay unflagged."""
    return [
        ("'Simple ' + API_KEY", "api_key = 'Simple ' + API_KEY", "code"),
        ("'Simple ' + API_KEY in a header", 'headers = {"Authorization": "Simple " + API_KEY}', "code"),
        ("key file path", 'key_path = "keys/service_account.json"', "code"),
        ("key file name under a credentials name",
         'os.environ["GOOGLE_APPLICATION_CREDENTIALS"] = "my_service_account_private_key.json"', "code"),
        ("private key file path", 'private_key = "keys/service_account.json"', "code"),
        ("docker secret file (output)", "DB_PASSWORD_FILE=/run/secrets/db_password\nSSH_AUTH_SOCK=/tmp/ssh-agent.sock\n",
         "output"),
        ("credentials path in env (output)", "GOOGLE_APPLICATION_CREDENTIALS=/home/app/keys/sa.json\n", "output"),
        ("special tokens", 'tok = Tokenizer(models.WordPiece(unk_token="[UNK]"))\npad_token = "<pad>"', "code"),
        ("f-string with the password as a field", 'conn = f"host={host};user={user};password={pw};"', "code"),
        ("password from .format", 'password = "{}".format(pw)\ndsn = "user=%s password=%s" % (u, p)', "code"),
        ("curl with env vars", '!curl -u "$API_USER:$API_TOKEN" https://api.corp.net/v1', "code"),
        ("curl with an IPython field", "!curl -u admin:{pw} https://jenkins.corp.net/api/json", "code"),
        ("curl with a command substitution", '!curl -u "admin:$(cat ~/.pw)" https://api.corp.net', "code"),
        ("curl without a password", "!curl -u admin https://jenkins.corp.net/api/json", "code"),
        ("os.environ read", 'token = os.environ["API_TOKEN"]\nos.environ["DB_PASSWORD"] = getpass()', "code"),
        ("env var without a secret name", 'os.environ["CUDA_VISIBLE_DEVICES"] = "0"\nos.environ["TOKENIZERS_PARALLELISM"] = "false"',
         "code"),
        ("setdefault of a non-secret", 'os.environ.setdefault("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")', "code"),
        ("JDBC without a password", 'url = "jdbc:postgresql://db:5432/dw?user=etl&ssl=true"', "code"),
        ("ODBC with a placeholder", 'cs = "Driver={ODBC Driver 18};Server=sql;Uid=sa;Pwd=<password>;"', "code"),
        ("kwargs after libpq-like names", "connect(host=h, user=u, password=args.db_password)", "code"),
        ("login with variables", "server.login(user, password)\nhuggingface_hub.login()", "code"),
        ("kwargs passthrough", "conn = connect(host=h, password=password, token=args.token)", "code"),
        ("placeholder words", 'password = "sample_password"\napi_key = "your-api-key-here"\ntoken = "dummy"', "code"),
        ("placeholder changeme", 'DB_PASSWORD = "changeme"\nSECRET = "xxx"', "code"),
        ("placeholder template fields", 'password = "{}"\napi_key = "{api_key}"\nsecret = "%s"', "code"),
        ("sort and cache keys", 'sort_key = "customer_id"\ncache_key = f"{model}_{version}"\nPRIMARY_KEY = "id_2024"', "code"),
        ("uuid under a key name", f'idempotency_key = "{uuid.UUID(int=R.getrandbits(128), version=4)}"', "code"),
        ("env dump settings (output)", "TOKEN_EXPIRY=3600\nPASSWORD_MIN_LENGTH=8\nAUTH_ENABLED=true\nHF_TOKEN=\n", "output"),
        ("env dump placeholder (output)", "MLFLOW_TRACKING_PASSWORD=${MLFLOW_PASSWORD}\nAPI_KEY=***\n", "output"),
        ("help text (output)", "  --password PASSWORD   the database password\n  --token=TOKEN\n", "output"),
        ("pagination token", 'params = {"pageToken": next_token, "page_token": "CAUQAA"}', "code"),
        ("%env of a setting", "%env CUDA_VISIBLE_DEVICES=0\n%env TOKENIZERS_PARALLELISM=false", "code"),
        ("%%writefile of a Python module", '%%writefile train.py\npassword = get_password()\ntoken = args.token\n',
         "code"),
        ("printed Python source (output)", "password = get_password()\ntoken = args.token\n", "output"),
        ("local LLM servers' dummy keys", 'c = OpenAI(base_url=url, api_key="EMPTY")\napi_key = "ollama"\n'
                                          'key = "sk-no-key-required"', "code"),
        ("working-folder paths", 'pwd = "./data"\nPWD = "/home/user/project"', "code"),
        ("private key in documentation", 'KEY = "-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----"', "code"),
    ]


def real_notebook_look_alikes() -> list[tuple[str, str, str]]:
    """Lines from public notebooks (nbdev docs, Hugging Face course, Hands-on ML) once flagged by SEC-01."""
    return [
        ("ANSI-coloured help output (nbdev docs)",
         "    \x1b[2m\x1b[1mPublish with explicit credentials:\x1b[2m\x1b[22m      quarto publish connect\n", "output"),
        ("special token argument (HF tokenizer training)",
         'tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))', "code"),
        ("service account key file (Hands-on ML ch. 19)",
         'os.environ["GOOGLE_APPLICATION_CREDENTIALS"] = "my_service_account_private_key.json"', "code"),
    ]
