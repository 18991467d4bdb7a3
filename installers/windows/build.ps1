# Build Docent for Windows: dist\docent\ (PyInstaller) and dist\Docent-Setup-VERSION.exe
# (Inno Setup). Run from a "Developer PowerShell" in the repository, after:
#   py -3.11 -m venv .venv
#   .venv\Scripts\python -m pip install -c installers/constraints.txt torch==2.13.0
#   $env:CMAKE_ARGS = "-DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF"   # portable llama.cpp build
#   .venv\Scripts\python -m pip install -c installers/constraints.txt -e ".[package]"
#   .venv\Scripts\python -m pip uninstall -y opencv-python   # OCR needs only the headless cv2
#   .venv\Scripts\python -m pip install -c installers/constraints.txt --force-reinstall --no-deps opencv-python-headless
# Inno Setup 6 (iscc.exe) must be on the PATH or in its default folder.
$ErrorActionPreference = "Stop"
$Repo = Resolve-Path "$PSScriptRoot\..\.."
Set-Location $Repo
$Py = "$Repo\.venv\Scripts\python.exe"
$Version = & $Py -c "import tomllib; print(tomllib.load(open('pyproject.toml', 'rb'))['project']['version'])"
$Work = "$Repo\build\package"

Write-Host "== assembling the default model"
$Model = & $Py -c "from pathlib import Path; from engine.models.choice import bundled_model; print(bundled_model(Path(r'$Work\model')))"

Write-Host "== icon"
& $Py installers\render_icon.py "$Repo\build\icons\docent.ico"

Write-Host "== PyInstaller"
$env:DOCENT_BUNDLED_MODEL = $Model
$env:DOCENT_VERSION = $Version
& $Py -m PyInstaller --noconfirm --distpath "$Repo\dist" --workpath "$Work\pyinstaller" installers\docent.spec
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }

Write-Host "== Inno Setup"
$Iscc = (Get-Command iscc.exe -ErrorAction SilentlyContinue).Source
if (-not $Iscc) { $Iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }
& $Iscc "/DAppVersion=$Version" "/DRepo=$Repo" installers\windows\docent.iss
if ($LASTEXITCODE -ne 0) { throw "Inno Setup failed" }
Get-Item "$Repo\dist\Docent-Setup-$Version.exe"
