; Inno Setup script for Docent (built by installers\windows\build.ps1, which passes
; /DAppVersion=... and /DRepo=...). Installs the PyInstaller folder dist\docent for the
; current user (no administrator rights), with a Start menu entry and an optional
; desktop icon. Uninstalling keeps the user's index and settings in %LOCALAPPDATA%\Docent.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef Repo
  #define Repo "..\.."
#endif

[Setup]
AppId={{6E0F8C1A-3B7D-4C52-9A7E-D0C3E5B1F242}
AppName=Docent
AppVersion={#AppVersion}
AppPublisher=Docent
DefaultDirName={localappdata}\Programs\Docent
DefaultGroupName=Docent
PrivilegesRequired=lowest
OutputDir={#Repo}\dist
OutputBaseFilename=Docent-Setup-{#AppVersion}
SetupIconFile={#Repo}\build\icons\docent.ico
UninstallDisplayIcon={app}\docent-desktop.exe
Compression=lzma2/normal
SolidCompression=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "{#Repo}\dist\docent\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\Docent"; Filename: "{app}\docent-desktop.exe"
Name: "{group}\Uninstall Docent"; Filename: "{uninstallexe}"
Name: "{autodesktop}\Docent"; Filename: "{app}\docent-desktop.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\docent-desktop.exe"; Description: "Start Docent"; Flags: nowait postinstall skipifsilent
