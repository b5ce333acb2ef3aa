"""Builds the labelled matching evaluation set (library.json, books.csv, labels.json).

Run `python tests/data/matching_eval/build.py` from the repository root; the
output is deterministic and committed next to this script.

The titles are real books written the way Audible and readers write them:
Audible titles with "(Unabridged)", edition tags, series subtitles ("Book Three
of The Wheel of Time"), roles in author fields, narrators; tracker titles with
or without subtitles, Goodreads-style "(Series, #2)", "Last, First" authors and
hyphenated print ISBN-10s. The ISBNs are synthetic but valid (checksums), so
ISBN-10/13 equality is exercised without pretending to be real catalogue data.

Four kinds of library item:
* matched    the true book is in the tracker (a third by equal ISBN, the rest
             fuzzy; a third of those carry an audiobook ISBN that differs from
             the tracker's print ISBN, which must not count against them);
* traps      a similar but different book is in the tracker (other volume,
             same title by another author, omnibus vs single volume, companion
             work) and sometimes the true book too;
* absent     nothing of the kind is in the tracker;
* empty      an item with an empty title.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent

# tracker title | tracker author | audible title | audible subtitle | audible authors | narrators | series | seq
MATCHED = """
The Way of Kings|Brandon Sanderson|The Way of Kings|The Stormlight Archive, Book 1|Brandon Sanderson|Michael Kramer, Kate Reading|The Stormlight Archive|1
Words of Radiance (The Stormlight Archive, #2)|Brandon Sanderson|Words of Radiance|The Stormlight Archive, Book 2|Brandon Sanderson|Michael Kramer, Kate Reading|The Stormlight Archive|2
Oathbringer|Brandon Sanderson|Oathbringer|Book Three of the Stormlight Archive|Brandon Sanderson|Kate Reading, Michael Kramer|The Stormlight Archive|3
Mistborn: The Final Empire|Brandon Sanderson|Mistborn|The Final Empire|Brandon Sanderson|Michael Kramer|Mistborn|1
The Well of Ascension (Mistborn, #2)|Brandon Sanderson|The Well of Ascension|Mistborn, Book 2|Brandon Sanderson|Michael Kramer|Mistborn|2
Elantris|Brandon Sanderson|Elantris|Tenth Anniversary Author's Definitive Edition|Brandon Sanderson|Jack Garrett|Elantris|1
The Eye of the World|Robert Jordan|The Eye of the World|Book One of The Wheel of Time|Robert Jordan|Kate Reading, Michael Kramer|The Wheel of Time|1
The Great Hunt (The Wheel of Time, #2)|Robert Jordan|The Great Hunt|Book Two of The Wheel Of Time|Robert Jordan|Kate Reading, Michael Kramer|The Wheel of Time|2
The Dragon Reborn|Robert Jordan|The Dragon Reborn|Book Three of The Wheel of Time|Robert Jordan|Kate Reading, Michael Kramer|The Wheel of Time|3
The Shadow Rising|Jordan, Robert|The Shadow Rising|Book Four of The Wheel of Time|Robert Jordan|Kate Reading, Michael Kramer|The Wheel of Time|4
The Path of Daggers|Robert Jordan|Path of Daggers|Book Eight of The Wheel of Time|Robert Jordan|Michael Kramer, Kate Reading|The Wheel of Time|8
New Spring: The Novel|Robert Jordan|New Spring|The Wheel of Time Prequel|Robert Jordan|Kate Reading, Michael Kramer|The Wheel of Time|0
The Hobbit|Tolkien, J.R.R.|The Hobbit||J. R. R. Tolkien|Andy Serkis||
The Fellowship of the Ring|J.R.R. Tolkien|The Fellowship of the Ring|Book 1|J.R.R. Tolkien|Andy Serkis|The Lord of the Rings|1
The Two Towers (The Lord of the Rings, #2)|J. R. R. Tolkien|The Two Towers|Book 2|J.R.R. Tolkien|Andy Serkis|The Lord of the Rings|2
The Silmarillion|J.R.R. Tolkien|The Silmarillion||J. R. R. Tolkien|Martin Shaw||
A Game of Thrones|George R.R. Martin|A Game of Thrones|A Song of Ice and Fire, Book 1|George R. R. Martin|Roy Dotrice|A Song of Ice and Fire|1
A Clash of Kings (A Song of Ice and Fire, #2)|George R. R. Martin|A Clash of Kings|A Song of Ice and Fire, Book 2|George R. R. Martin|Roy Dotrice|A Song of Ice and Fire|2
A Storm of Swords|Martin, George R.R.|A Storm of Swords|A Song of Ice and Fire, Book 3|George R. R. Martin|Roy Dotrice|A Song of Ice and Fire|3
Harry Potter and the Philosopher's Stone|J.K. Rowling|Harry Potter and the Philosopher's Stone|Harry Potter, Book 1|J.K. Rowling|Stephen Fry|Harry Potter|1
Harry Potter and the Chamber of Secrets (Harry Potter, #2)|J.K. Rowling|Harry Potter and the Chamber of Secrets|Harry Potter, Book 2|J.K. Rowling|Stephen Fry|Harry Potter|2
Harry Potter and the Prisoner of Azkaban|Rowling, J. K.|Harry Potter and the Prisoner of Azkaban|Harry Potter, Book 3|J.K. Rowling|Stephen Fry|Harry Potter|3
The Name of the Wind (The Kingkiller Chronicle, #1)|Patrick Rothfuss|The Name of the Wind|Kingkiller Chronicle, Book 1|Patrick Rothfuss|Nick Podehl|The Kingkiller Chronicle|1
The Wise Man's Fear|Patrick Rothfuss|The Wise Man's Fear|Kingkiller Chronicle, Book 2|Patrick Rothfuss|Nick Podehl|The Kingkiller Chronicle|2
The Fifth Season|N.K. Jemisin|The Fifth Season|The Broken Earth, Book 1|N. K. Jemisin|Robin Miles|The Broken Earth|1
The Obelisk Gate|N. K. Jemisin|The Obelisk Gate|The Broken Earth, Book 2|N. K. Jemisin|Robin Miles|The Broken Earth|2
Leviathan Wakes|James S.A. Corey|Leviathan Wakes|The Expanse, Book 1|James S. A. Corey|Jefferson Mays|The Expanse|1
Caliban's War (The Expanse, #2)|James S. A. Corey|Caliban's War|The Expanse, Book 2|James S. A. Corey|Jefferson Mays|The Expanse|2
Dune|Frank Herbert|Dune|Dune Chronicles, Book 1|Frank Herbert|Scott Brick, Orlagh Cassidy, Euan Morton, Simon Vance|Dune|1
Dune Messiah|Frank Herbert|Dune Messiah|Dune Chronicles, Book 2|Frank Herbert|Scott Brick, Katherine Kellgren|Dune|2
Children of Dune|Herbert, Frank|Children of Dune|Dune Chronicles, Book 3|Frank Herbert|Scott Brick|Dune|3
Foundation|Isaac Asimov|Foundation|The Foundation Trilogy, Book 1|Isaac Asimov|Scott Brick|Foundation|1
Foundation and Empire|Isaac Asimov|Foundation and Empire||Isaac Asimov|Scott Brick|Foundation|2
Second Foundation|Isaac Asimov|Second Foundation||Isaac Asimov|Scott Brick|Foundation|3
The Hunger Games|Suzanne Collins|The Hunger Games|Hunger Games, Book 1|Suzanne Collins|Tatiana Maslany|The Hunger Games|1
Catching Fire (The Hunger Games, #2)|Suzanne Collins|Catching Fire|Hunger Games, Book 2|Suzanne Collins|Tatiana Maslany|The Hunger Games|2
Mockingjay|Suzanne Collins|Mockingjay|Hunger Games, Book 3|Suzanne Collins|Tatiana Maslany|The Hunger Games|3
The Girl with the Dragon Tattoo|Stieg Larsson|The Girl with the Dragon Tattoo|Millennium, Book 1|Stieg Larsson, Reg Keeland - translator|Simon Vance|Millennium|1
The Color of Magic|Terry Pratchett|The Colour of Magic|Discworld, Book 1|Terry Pratchett|Nigel Planer|Discworld|1
Guards! Guards!|Terry Pratchett|Guards! Guards!|Discworld, Book 8|Terry Pratchett|Nigel Planer|Discworld|8
Good Omens: The Nice and Accurate Prophecies of Agnes Nutter, Witch|Terry Pratchett & Neil Gaiman|Good Omens||Neil Gaiman, Terry Pratchett|Martin Jarvis||
American Gods|Neil Gaiman|American Gods|The Tenth Anniversary Edition|Neil Gaiman|George Guidall, full cast||
Norse Mythology|Neil Gaiman|Norse Mythology||Neil Gaiman|Neil Gaiman||
The Ocean at the End of the Lane|Neil Gaiman|The Ocean at the End of the Lane|A Novel|Neil Gaiman|Neil Gaiman||
Project Hail Mary|Andy Weir|Project Hail Mary|A Novel|Andy Weir|Ray Porter||
The Martian|Andy Weir|The Martian||Andy Weir|R. C. Bray||
Red Rising|Pierce Brown|Red Rising|Red Rising Series, Book 1|Pierce Brown|Tim Gerard Reynolds|Red Rising|1
Golden Son (Red Rising Saga, #2)|Pierce Brown|Golden Son|Red Rising Series, Book 2|Pierce Brown|Tim Gerard Reynolds|Red Rising|2
The Three-Body Problem|Cixin Liu|The Three-Body Problem||Cixin Liu, Ken Liu - translator|Luke Daniels|Remembrance of Earth's Past|1
The Dark Forest|Liu Cixin|The Dark Forest||Cixin Liu, Joel Martinsen - translator|P. J. Ochlan|Remembrance of Earth's Past|2
Hyperion|Dan Simmons|Hyperion||Dan Simmons|Victor Bevine, Kevin Pariseau, Marc Vietor|Hyperion Cantos|1
Ender's Game|Orson Scott Card|Ender's Game|Special 20th Anniversary Edition|Orson Scott Card|Stefan Rudnicki, Gabrielle de Cuir|Ender Quintet|1
The Left Hand of Darkness|Ursula K. Le Guin|The Left Hand of Darkness||Ursula K. Le Guin|George Guidall||
A Wizard of Earthsea|Le Guin, Ursula K.|A Wizard of Earthsea|The Earthsea Cycle, Book 1|Ursula K. Le Guin|Kobna Holdbrook-Smith|Earthsea Cycle|1
Neuromancer|William Gibson|Neuromancer||William Gibson|Robertson Dean|Sprawl|1
Snow Crash|Neal Stephenson|Snow Crash||Neal Stephenson|Jonathan Davis||
Brave New World|Aldous Huxley|Brave New World||Aldous Huxley|Michael York||
Nineteen Eighty-Four|George Orwell|Nineteen Eighty-Four|New Classic Edition|George Orwell|Andrew Wincott||
Animal Farm|George Orwell|Animal Farm||George Orwell|Ralph Cosham||
Fahrenheit 451|Ray Bradbury|Fahrenheit 451||Ray Bradbury|Tim Robbins||
The Handmaid's Tale|Margaret Atwood|The Handmaid's Tale||Margaret Atwood|Claire Danes||
Never Let Me Go|Kazuo Ishiguro|Never Let Me Go||Kazuo Ishiguro|Rosalyn Landor||
The Remains of the Day|Kazuo Ishiguro|The Remains of the Day||Kazuo Ishiguro|Simon Prebble||
Klara and the Sun|Kazuo Ishiguro|Klara and the Sun|A Novel|Kazuo Ishiguro|Sura Siu||
The Road|Cormac McCarthy|The Road||Cormac McCarthy|Tom Stechschulte||
Blood Meridian: Or the Evening Redness in the West|Cormac McCarthy|Blood Meridian|Or the Evening Redness in the West|Cormac McCarthy|Richard Poe||
Pride and Prejudice|Jane Austen|Pride and Prejudice [Naxos AudioBooks Edition]||Jane Austen|Emilia Fox||
Emma|Jane Austen|Emma|A BBC Radio 4 Full-Cast Dramatisation|Jane Austen|full cast, Ronald Pickup||
Persuasion|Austen, Jane|Persuasion|Classic Tales Edition|Jane Austen|Juliet Stevenson||
Sense and Sensibility|Jane Austen|Sense & Sensibility||Jane Austen|Rosamund Pike||
Jane Eyre|Charlotte Brontë|Jane Eyre||Charlotte Bronte|Thandie Newton||
Wuthering Heights|Emily Bronte|Wuthering Heights||Emily Brontë|Shernaz Patel||
Great Expectations|Charles Dickens|Great Expectations||Charles Dickens|Simon Vance||
A Tale of Two Cities|Charles Dickens|A Tale of Two Cities [Classic Tales Edition]||Charles Dickens|B.J. Harrison||
Bleak House|Dickens, Charles|Bleak House||Charles Dickens|Sean Barrett||
Middlemarch|George Eliot|Middlemarch||George Eliot|Juliet Stevenson||
Moby-Dick|Herman Melville|Moby Dick||Herman Melville|William Hootkins||
The Great Gatsby|F. Scott Fitzgerald|The Great Gatsby||F. Scott Fitzgerald|Jake Gyllenhaal||
To Kill a Mockingbird|Harper Lee|To Kill a Mockingbird||Harper Lee|Sissy Spacek||
Of Mice and Men|John Steinbeck|Of Mice and Men||John Steinbeck|Gary Sinise||
The Grapes of Wrath|John Steinbeck|The Grapes of Wrath||John Steinbeck|Dylan Baker||
East of Eden|Steinbeck, John|East of Eden||John Steinbeck|Richard Poe||
The Catcher in the Rye|J.D. Salinger|The Catcher in the Rye||J. D. Salinger|||
Frankenstein|Mary Shelley|Frankenstein||Mary Shelley|Dan Stevens||
Dracula|Bram Stoker|Dracula||Bram Stoker|Alan Cumming, Tim Curry, Simon Vance||
The Picture of Dorian Gray|Oscar Wilde|The Picture of Dorian Gray||Oscar Wilde|Simon Vance||
Crime and Punishment|Fyodor Dostoevsky|Crime and Punishment||Fyodor Dostoyevsky, Constance Garnett - translator|Anthony Heald||
The Brothers Karamazov|Dostoevsky, Fyodor|The Brothers Karamazov [Naxos AudioBooks Edition]||Constance Garnett - translator, Fyodor Dostoevsky|Constantine Gregory||
Anna Karenina|Leo Tolstoy|Anna Karenina||Lev Tolstoy, Marian Schwartz - translator|Maggie Gyllenhaal||
War and Peace|Leo Tolstoy|War and Peace||Leo Tolstoy|Thandie Newton||
Les Misérables|Victor Hugo|Les Miserables||Victor Hugo|Bill Homewood||
The Count of Monte Cristo|Alexandre Dumas|The Count of Monte Cristo||Alexandre Dumas|Bill Homewood||
The Three Musketeers|Dumas, Alexandre|The Three Musketeers||Alexandre Dumas|John Lee||
Madame Bovary|Gustave Flaubert|Madame Bovary||Gustave Flaubert, Lydia Davis - translator|Kate Reading||
One Hundred Years of Solitude|Gabriel García Márquez|One Hundred Years of Solitude||Gabriel Garcia Marquez, Gregory Rabassa - translator|John Lee||
Love in the Time of Cholera|Gabriel Garcia Marquez|Love in the Time of Cholera||Gabriel García Márquez|Armando Durán||
The Stranger|Albert Camus|The Stranger||Albert Camus, Matthew Ward - translator|Jonathan Davis||
The Metamorphosis|Franz Kafka|The Metamorphosis||Franz Kafka|Benedict Cumberbatch||
The Trial|Kafka, Franz|The Trial||Franz Kafka|Geoffrey Howard||
Don Quixote|Miguel de Cervantes|Don Quixote||Miguel de Cervantes Saavedra, Edith Grossman - translator|George Guidall||
The Odyssey|Homer|The Odyssey||Homer, Emily Wilson - translator|Claire Danes||
The Iliad|Homer|The Iliad||Homer, Robert Fagles - translator|Derek Jacobi||
Meditations|Marcus Aurelius|Meditations|Penguin Classics|Marcus Aurelius, Diskin Clay, Martin Hammond|Richard Armitage||
The Art of War|Sun Tzu|The Art of War||Sun Tzu|Aidan Gillen||
Beowulf: A New Translation|Seamus Heaney|Beowulf||Seamus Heaney - translator|Seamus Heaney||
Siddhartha|Hermann Hesse|Siddhartha||Hermann Hesse|Derek Jacobi||
Steppenwolf|Hermann Hesse|Steppenwolf||Hermann Hesse|Peter Weller||
All Quiet on the Western Front|Erich Maria Remarque|All Quiet on the Western Front||Erich Maria Remarque|Frank Muller||
The Name of the Rose|Umberto Eco|The Name of the Rose||Umberto Eco|Sean Barrett||
My Brilliant Friend|Elena Ferrante|My Brilliant Friend|Neapolitan Novels, Book 1|Elena Ferrante|Hillary Huber|Neapolitan Novels|1
The Story of a New Name|Elena Ferrante|The Story of a New Name|Neapolitan Novels, Book 2|Elena Ferrante|Hillary Huber|Neapolitan Novels|2
Norwegian Wood|Haruki Murakami|Norwegian Wood||Haruki Murakami|John Chancer||
Kafka on the Shore|Haruki Murakami|Kafka on the Shore||Haruki Murakami|Sean Barrett, Oliver Le Sueur||
1Q84|Haruki Murakami|1Q84||Haruki Murakami|Allison Hiroto, Marc Vietor||
Things Fall Apart|Chinua Achebe|Things Fall Apart||Chinua Achebe|Peter Francis James||
Beloved|Toni Morrison|Beloved||Toni Morrison|Toni Morrison||
Song of Solomon|Toni Morrison|Song of Solomon||Toni Morrison|Toni Morrison||
Their Eyes Were Watching God|Zora Neale Hurston|Their Eyes Were Watching God||Zora Neale Hurston|Ruby Dee||
A Fine Balance|Rohinton Mistry|A Fine Balance||Rohinton Mistry|Vikas Adam||
The God of Small Things|Arundhati Roy|The God of Small Things||Arundhati Roy|Sunil Malhotra||
Midnight's Children|Salman Rushdie|Midnight's Children||Salman Rushdie|Salman Rushdie||
Shantaram|Gregory David Roberts|Shantaram|A Novel|Gregory David Roberts|Humphrey Bower||
The Kite Runner|Khaled Hosseini|The Kite Runner||Khaled Hosseini|Khaled Hosseini||
A Thousand Splendid Suns|Khaled Hosseini|A Thousand Splendid Suns||Khaled Hosseini|Atossa Leoni||
Life of Pi|Yann Martel|Life of Pi||Yann Martel|Jeff Woodman||
The Book Thief|Markus Zusak|The Book Thief||Markus Zusak|Allan Corduner||
All the Light We Cannot See|Anthony Doerr|All the Light We Cannot See|A Novel|Anthony Doerr|Zach Appelman||
The Goldfinch|Donna Tartt|The Goldfinch|A Novel|Donna Tartt|David Pittu||
The Secret History|Donna Tartt|The Secret History||Donna Tartt|Donna Tartt||
Gone Girl|Gillian Flynn|Gone Girl|A Novel|Gillian Flynn|Julia Whelan, Kirby Heyborne||
The Girl on the Train|Paula Hawkins|The Girl on the Train||Paula Hawkins|Clare Corbett, Louise Brealey, India Fisher||
Big Little Lies|Liane Moriarty|Big Little Lies||Liane Moriarty|Caroline Lee||
Where the Crawdads Sing|Delia Owens|Where the Crawdads Sing||Delia Owens|Cassandra Campbell||
It Ends with Us|Colleen Hoover|It Ends with Us|A Novel|Colleen Hoover|Olivia Song||
Verity|Colleen Hoover|Verity||Colleen Hoover|Amy Landon, Vanessa Johansson||
The Seven Husbands of Evelyn Hugo|Taylor Jenkins Reid|The Seven Husbands of Evelyn Hugo|A Novel|Taylor Jenkins Reid|Alma Cuervo, Julia Whelan, Robin Miles||
Normal People|Sally Rooney|Normal People|A Novel|Sally Rooney|Aoife McMahon||
Little Fires Everywhere|Celeste Ng|Little Fires Everywhere||Celeste Ng|Jennifer Lim||
The Midnight Library|Matt Haig|The Midnight Library|A Novel|Matt Haig|Carey Mulligan||
Circe|Madeline Miller|Circe||Madeline Miller|Perdita Weeks||
The Song of Achilles|Madeline Miller|The Song of Achilles|A Novel|Madeline Miller|Frazer Douglas||
Lessons in Chemistry|Bonnie Garmus|Lessons in Chemistry|A Novel|Bonnie Garmus|Miranda Raison||
Tomorrow, and Tomorrow, and Tomorrow|Gabrielle Zevin|Tomorrow, and Tomorrow, and Tomorrow|A novel|Gabrielle Zevin|Jennifer Kim, Julian Cihi||
The Shining|Stephen King|The Shining||Stephen King|Campbell Scott||
The Stand|Stephen King|The Stand||Stephen King|Grover Gardner||
11/22/63|Stephen King|11/22/63|A Novel|Stephen King|Craig Wasson||
The Gunslinger (The Dark Tower, #1)|Stephen King|The Gunslinger|The Dark Tower I|Stephen King|George Guidall|The Dark Tower|1
The Drawing of the Three|Stephen King|The Drawing of the Three|The Dark Tower II|Stephen King|Frank Muller|The Dark Tower|2
Murder on the Orient Express|Agatha Christie|Murder on the Orient Express|A Hercule Poirot Mystery|Agatha Christie|Dan Stevens|Hercule Poirot|10
And Then There Were None|Agatha Christie|And Then There Were None||Agatha Christie|Dan Stevens||
The Hound of the Baskervilles|Arthur Conan Doyle|The Hound of the Baskervilles||Arthur Conan Doyle|Simon Prebble||
The Big Sleep|Raymond Chandler|The Big Sleep||Raymond Chandler|Ray Porter|Philip Marlowe|1
The Da Vinci Code|Dan Brown|The Da Vinci Code|A Novel|Dan Brown|Paul Michael|Robert Langdon|2
Angels & Demons|Dan Brown|Angels and Demons||Dan Brown|Richard Poe|Robert Langdon|1
Sapiens: A Brief History of Humankind|Yuval Noah Harari|Sapiens|A Brief History of Humankind|Yuval Noah Harari|Derek Perkins||
Homo Deus: A Brief History of Tomorrow|Yuval Noah Harari|Homo Deus|A Brief History of Tomorrow|Yuval Noah Harari|Derek Perkins||
21 Lessons for the 21st Century|Yuval Noah Harari|21 Lessons for the 21st Century||Yuval Noah Harari|Derek Perkins||
Thinking, Fast and Slow|Daniel Kahneman|Thinking, Fast and Slow||Daniel Kahneman|Patrick Egan||
Atomic Habits: An Easy & Proven Way to Build Good Habits & Break Bad Ones|James Clear|Atomic Habits|Tiny Changes, Remarkable Results|James Clear|James Clear||
The Power of Habit|Charles Duhigg|The Power of Habit|Why We Do What We Do in Life and Business|Charles Duhigg|Mike Chamberlain||
Deep Work: Rules for Focused Success in a Distracted World|Cal Newport|Deep Work|Rules for Focused Success in a Distracted World|Cal Newport|Jeff Bottoms||
Outliers|Malcolm Gladwell|Outliers|The Story of Success|Malcolm Gladwell|Malcolm Gladwell||
Blink: The Power of Thinking Without Thinking|Malcolm Gladwell|Blink|The Power of Thinking Without Thinking|Malcolm Gladwell|Malcolm Gladwell||
The Tipping Point|Gladwell, Malcolm|The Tipping Point|How Little Things Can Make a Big Difference|Malcolm Gladwell|Malcolm Gladwell||
Quiet: The Power of Introverts in a World That Can't Stop Talking|Susan Cain|Quiet|The Power of Introverts in a World That Can't Stop Talking|Susan Cain|Kathe Mazur||
Educated|Tara Westover|Educated|A Memoir|Tara Westover|Julia Whelan||
Becoming|Michelle Obama|Becoming||Michelle Obama|Michelle Obama||
Born a Crime: Stories from a South African Childhood|Trevor Noah|Born a Crime|Stories from a South African Childhood|Trevor Noah|Trevor Noah||
Man's Search for Meaning|Viktor E. Frankl|Man's Search for Meaning||Viktor E. Frankl|Simon Vance||
The Body Keeps the Score: Brain, Mind, and Body in the Healing of Trauma|Bessel van der Kolk|The Body Keeps the Score|Mind, Brain and Body in the Transformation of Trauma|Bessel van der Kolk|Sean Pratt||
Never Split the Difference: Negotiating As If Your Life Depended On It|Chris Voss, Tahl Raz|Never Split the Difference|Negotiating as if Your Life Depended on It|Chris Voss, Tahl Raz|Michael Kramer||
The 48 Laws of Power|Robert Greene|48 Laws of Power||Robert Greene|Richard Poe||
The 33 Strategies of War|Robert Greene|33 Strategies of War||Robert Greene|Donald Coren||
The Daily Stoic|Ryan Holiday|The Daily Stoic|366 Meditations on Wisdom, Perseverance, and the Art of Living|Ryan Holiday, Stephen Hanselman|Brian Holsopple||
Feeling Good: The New Mood Therapy|David D. Burns|Feeling Good|The New Mood Therapy|David D. Burns MD|George Newbern||
Cosmos|Carl Sagan|Cosmos|A Personal Voyage|Carl Sagan|LeVar Burton, Seth MacFarlane, Neil deGrasse Tyson, Ann Druyan||
A Brief History of Time|Stephen Hawking|A Brief History of Time||Stephen Hawking|Michael Jackson||
The Selfish Gene|Richard Dawkins|The Selfish Gene|40th Anniversary Edition|Richard Dawkins|Richard Dawkins, Lalla Ward||
Guns, Germs, and Steel: The Fates of Human Societies|Jared Diamond|Guns, Germs, and Steel|The Fates of Human Societies|Jared Diamond|Doug Ordunio||
The Gene: An Intimate History|Siddhartha Mukherjee|The Gene|An Intimate History|Siddhartha Mukherjee|Dennis Boutsikaris||
The Emperor of All Maladies|Siddhartha Mukherjee|The Emperor of All Maladies|A Biography of Cancer|Siddhartha Mukherjee|Stephen Hoye||
Debt: The First 5,000 Years|David Graeber|Debt - Updated and Expanded|The First 5,000 Years|David Graeber|Grover Gardner||
The Anarchy: The Relentless Rise of the East India Company|William Dalrymple|The Anarchy|The Relentless Rise of the East India Company|William Dalrymple|Sid Sagar||
An Era of Darkness|Shashi Tharoor|An Era of Darkness|The British Empire in India|Shashi Tharoor|Sagar Arya||
Inglorious Empire: What the British Did to India|Shashi Tharoor|Inglorious Empire|What the British Did to India|Shashi Tharoor|Shashi Tharoor||
The Decline and Fall of the Roman Empire|Edward Gibbon|The Decline and Fall of the Roman Empire||Edward Gibbon|Charlton Griffin||
SPQR: A History of Ancient Rome|Mary Beard|SPQR|A History of Ancient Rome|Mary Beard|Phyllida Nash||
The Diary of a Young Girl|Anne Frank|The Diary of a Young Girl||Anne Frank|Selma Blair||
Designing Data-Intensive Applications|Martin Kleppmann|Designing Data-Intensive Applications|The Big Ideas Behind Reliable, Scalable, and Maintainable Systems|Martin Kleppmann|Benjamin Lange||
The Pragmatic Programmer|David Thomas & Andrew Hunt|The Pragmatic Programmer|Your Journey to Mastery, 20th Anniversary Edition (2nd Edition)|David Thomas, Andrew Hunt|Anna Katarina, Dave Thomas, Andy Hunt||
The Phoenix Project|Gene Kim|The Phoenix Project|A Novel About IT, DevOps, and Helping Your Business Win|Gene Kim, Kevin Behr, George Spafford|Chris Ruen||
Clean Code|Robert C. Martin|Clean Code|A Handbook of Agile Software Craftsmanship|Robert C. Martin|Dan Bates||
The Alignment Problem: Machine Learning and Human Values|Brian Christian|The Alignment Problem|Machine Learning and Human Values|Brian Christian|Brian Christian||
Why Machines Learn: The Elegant Math Behind Modern AI|Anil Ananthaswamy|Why Machines Learn|The Elegant Maths Behind Modern AI|Anil Ananthaswamy|Rene Ruiz||
AI Snake Oil|Arvind Narayanan, Sayash Kapoor|AI Snake Oil|What Artificial Intelligence Can Do, What It Can't, and How to Tell the Difference|Sayash Kapoor, Arvind Narayanan|Landon Woodson||
Adult Children of Emotionally Immature Parents|Lindsay C. Gibson|Adult Children of Emotionally Immature Parents|How to Heal from Distant, Rejecting, or Self-Involved Parents|Lindsay C. Gibson PsyD|Marguerite Gavin||
No More Mr Nice Guy|Robert A. Glover|No More Mr. Nice Guy|A Proven Plan for Getting What You Want in Love, Sex and Life (Updated)|Dr Robert Glover|Dr Robert Glover||
Attached: The New Science of Adult Attachment|Amir Levine & Rachel Heller|Attached||Amir Levine, Rachel Heller|Robert Petkoff||
Why Has Nobody Told Me This Before?|Dr Julie Smith|Why Has Nobody Told Me This Before?||Julie Smith|Julie Smith||
Self-Compassion Step by Step: The Proven Power of Being Kind to Yourself|Kristin Neff|Self-Compassion Step by Step|The Proven Power of Being Kind to Yourself|Kristin Neff|Kristin Neff PhD||
Matilda|Roald Dahl|Matilda|Narrated by Kate Winslet|Roald Dahl|Kate Winslet|The Roald Dahl Classic Collection|
Charlie and the Chocolate Factory|Roald Dahl|Charlie and the Chocolate Factory||Roald Dahl|Douglas Hodge||
The Velveteen Rabbit|Margery Williams|The Velveteen Rabbit||Margery Williams|Richard Armitage||
The Little Prince|Antoine de Saint-Exupéry|The Little Prince||Antoine de Saint-Exupery|Viggo Mortensen||
Alice's Adventures in Wonderland|Lewis Carroll|Alice's Adventures in Wonderland||Lewis Carroll|Scarlett Johansson||
The Wind in the Willows|Kenneth Grahame|The Wind in the Willows||Kenneth Grahame|Alan Bennett||
The Lion, the Witch and the Wardrobe|C.S. Lewis|The Lion, the Witch and the Wardrobe|The Chronicles of Narnia, Book 2|C. S. Lewis|Michael York|The Chronicles of Narnia|2
The Magician's Nephew|C. S. Lewis|The Magician's Nephew|The Chronicles of Narnia, Book 1|C.S. Lewis|Kenneth Branagh|The Chronicles of Narnia|1
Heidi|Johanna Spyri|Heidi||Johanna Spyri|Kate Reading||
Treasure Island|Robert Louis Stevenson|Treasure Island||Robert Louis Stevenson|Jasper Britton||
The Adventures of Huckleberry Finn|Mark Twain|Adventures of Huckleberry Finn||Mark Twain|Elijah Wood||
The Adventures of Tom Sawyer|Twain, Mark|The Adventures of Tom Sawyer||Mark Twain|Nick Offerman||
Rebecca|Daphne du Maurier|Rebecca||Daphne du Maurier|Anna Massey||
Lolita|Vladimir Nabokov|Lolita||Vladimir Nabokov|Jeremy Irons||
Catch-22|Joseph Heller|Catch-22|50th Anniversary Edition|Joseph Heller|Jay O. Sanders||
Slaughterhouse-Five|Kurt Vonnegut|Slaughterhouse-Five||Kurt Vonnegut|James Franco||
Cat's Cradle|Kurt Vonnegut|Cat's Cradle||Kurt Vonnegut|Tony Roberts||
The Bell Jar|Sylvia Plath|The Bell Jar||Sylvia Plath|Maggie Gyllenhaal||
On the Road|Jack Kerouac|On the Road||Jack Kerouac|Matt Dillon||
The Sun Also Rises|Ernest Hemingway|The Sun Also Rises||Ernest Hemingway|William Hurt||
The Old Man and the Sea|Hemingway, Ernest|The Old Man and the Sea||Ernest Hemingway|Donald Sutherland||
For Whom the Bell Tolls|Ernest Hemingway|For Whom the Bell Tolls||Ernest Hemingway|Campbell Scott||
Mrs Dalloway|Virginia Woolf|Mrs. Dalloway||Virginia Woolf|Juliet Stevenson||
To the Lighthouse|Virginia Woolf|To the Lighthouse||Virginia Woolf|Juliet Stevenson||
Ulysses|James Joyce|Ulysses||James Joyce|Jim Norton, Marcella Riordan||
Heart of Darkness|Joseph Conrad|Heart of Darkness||Joseph Conrad|Kenneth Branagh||
The Time Machine|H.G. Wells|The Time Machine||H. G. Wells|Derek Jacobi||
The War of the Worlds|H. G. Wells|The War of the Worlds||H.G. Wells|Jonathan Aris||
Twenty Thousand Leagues Under the Sea|Jules Verne|Twenty Thousand Leagues Under the Sea||Jules Verne|James Mason||
Around the World in Eighty Days|Jules Verne|Around the World in 80 Days||Jules Verne|Jim Dale||
Piranesi|Susanna Clarke|Piranesi||Susanna Clarke|Chiwetel Ejiofor||
Jonathan Strange & Mr Norrell|Susanna Clarke|Jonathan Strange and Mr. Norrell||Susanna Clarke|Simon Prebble||
The Priory of the Orange Tree|Samantha Shannon|The Priory of the Orange Tree||Samantha Shannon|Liyah Summers||
The Lies of Locke Lamora|Scott Lynch|The Lies of Locke Lamora|Gentleman Bastard, Book 1|Scott Lynch|Michael Page|Gentleman Bastards|1
The Blade Itself|Joe Abercrombie|The Blade Itself|The First Law, Book 1|Joe Abercrombie|Steven Pacey|The First Law|1
Gardens of the Moon (Malazan Book of the Fallen, #1)|Steven Erikson|Gardens of the Moon|Book One of The Malazan Book of the Fallen|Steven Erikson|Michael Page|Malazan Book of the Fallen|1
Assassin's Apprentice|Robin Hobb|Assassin's Apprentice|The Farseer Trilogy, Book 1|Robin Hobb|Paul Boehmer|Farseer Trilogy|1
The Hitchhiker's Guide to the Galaxy|Douglas Adams|The Hitchhiker's Guide to the Galaxy|Hitchhiker's Guide, Book 1|Douglas Adams|Stephen Fry|Hitchhiker's Guide to the Galaxy|1
The Restaurant at the End of the Universe|Douglas Adams|The Restaurant at the End of the Universe|Hitchhiker's Guide, Book 2|Douglas Adams|Martin Freeman|Hitchhiker's Guide to the Galaxy|2
Mahabharata, Vol. 1|Bibek Debroy|The Mahabharata, Volume 1||Bibek Debroy - translator|Gaurav Marwa|The Mahabharata|1
Mahabharata Volume 4|Bibek Debroy|Mahabharata Vol 4||Bibek Debroy|Abhishek Sharma||
Mahabharata Volume 5|Debroy, Bibek|Mahabharata Vol 5||Bibek Debroy|Abhishek Sharma|The Mahabharata|5
HBR's 10 Must Reads on Managing Yourself, Vol. 2|Harvard Business Review|HBR's 10 Must Reads on Managing Yourself, Vol. 2|HBR's 10 Must Reads Series|Harvard Business Review|Steve Menasche, Teri Schnaubelt|HBR's 10 Must Reads series|
HBR's 10 Must Reads on Negotiation|Harvard Business Review|HBR's 10 Must Reads on Negotiation|HBR's 10 Must Reads Series|Harvard Business Review, Daniel Kahneman, Deepak Malhotra, Erin Meyer, Max H. Bazerman|Chloe Cannon, Brian Holden|HBR's 10 Must Reads series|
Fry's English Delight: Series 2|Stephen Fry|Fry's English Delight (Series 2)||Stephen Fry|Stephen Fry||
Rocky II|Sylvester Stallone|Rocky 2||Sylvester Stallone|Sylvester Stallone||
Henry V|William Shakespeare|Henry V|Arkangel Shakespeare|William Shakespeare|Jamie Glover, full cast||
Life on Air: Memoirs of a Broadcaster|David Attenborough|David Attenborough - Life on Air|Memoirs of a Broadcaster|David Attenborough|David Attenborough||
Kalidasa's Abhijnanashakuntalam|Kalidasa|Kalidasa’s Abhijnanashakuntalam|The Recognition of Shakuntala|Kalidasa, Lakshmi Lal - adaptation|Shobhana||
Panchatantra|Vishnu Sharma|Panchatantra||Pandit Vishnu Sharma, G. L. Chandiramani|Shernaz Patel||
"""

# Traps: tracker books (distractors, sometimes with the true book) and one library item each.
# Each entry: (tracker books [(title, author)], item fields, index of the true book in the
# tracker list or None when the true book is absent).
TRAPS: list[tuple[list[tuple[str, str | None]], dict, int | None]] = [
    # -- other volumes of one series ------------------------------------------------------
    (
        [("Mahabharata, Vol. 2", "Bibek Debroy")],
        dict(
            title="Mahabharata Vol 3 (Part 1)",
            authors="Bibek Debroy",
            series_title="The Mahabharata",
            series_sequence="3",
        ),
        None,
    ),
    (
        [("Mahabharata Volume 6", "Bibek Debroy"), ("Mahabharata Volume 8", "Bibek Debroy")],
        dict(
            title="Mahabharata Vol 7",
            authors="Bibek Debroy",
            series_title="The Mahabharata",
            series_sequence="7",
        ),
        None,
    ),
    (
        [("Mahabharata Volume 9", "Bibek Debroy"), ("Mahabharata Volume 10", "Bibek Debroy")],
        dict(title="Mahabharata Vol 10", authors="Bibek Debroy"),
        1,
    ),
    (
        [("The Mahabharata", "Bibek Debroy")],
        dict(title="Mahabharata Vol 3 (Part 2)", authors="Bibek Debroy"),
        None,
    ),
    (
        [("Fry's English Delight (Series 1)", "Stephen Fry")],
        dict(title="Fry's English Delight (Series 3)", authors="Stephen Fry"),
        None,
    ),
    (
        [("HBR's 10 Must Reads on Managing Yourself", "Harvard Business Review")],
        dict(
            title="HBR's 10 Must Reads on Managing Yourself",
            subtitle="HBR's 10 Must Reads Series",
            authors="Harvard Business Review, Peter F. Drucker, Clayton M. Christensen",
        ),
        0,
    ),
    (
        [
            ("Saga, Volume 1", "Brian K. Vaughan"),
            ("Saga, Volume 2", "Brian K. Vaughan"),
            ("Saga, Volume 3", "Brian K. Vaughan"),
        ],
        dict(title="Saga, Vol. 2", authors="Brian K. Vaughan, Fiona Staples", narrators="full cast"),
        1,
    ),
    (
        [("Saga, Volume 1", "Brian K. Vaughan")],
        dict(title="Saga, Volume 4", authors="Brian K. Vaughan, Fiona Staples"),
        None,
    ),
    (
        [("The Walking Dead, Vol. 1: Days Gone Bye", "Robert Kirkman")],
        dict(title="The Walking Dead, Vol. 2", subtitle="Miles Behind Us", authors="Robert Kirkman"),
        None,
    ),
    (
        [("The Story of Civilization, Volume 1: Our Oriental Heritage", "Will Durant")],
        dict(
            title="The Story of Civilization, Volume 2", subtitle="The Life of Greece", authors="Will Durant"
        ),
        None,
    ),
    (
        [
            ("The Story of Civilization, Volume 3: Caesar and Christ", "Will Durant"),
            ("The Story of Civilization, Volume 4: The Age of Faith", "Will Durant"),
        ],
        dict(
            title="The Story of Civilization, Volume 3", subtitle="Caesar and Christ", authors="Will Durant"
        ),
        0,
    ),
    (
        [("The Complete Sherlock Holmes, Volume I", "Arthur Conan Doyle")],
        dict(title="The Complete Sherlock Holmes, Volume II", authors="Arthur Conan Doyle"),
        None,
    ),
    ([("Rocky II", "Sylvester Stallone")], dict(title="Rocky III", authors="Sylvester Stallone"), None),
    (
        [("Henry VI, Part 1", "William Shakespeare"), ("Henry VI, Part 2", "William Shakespeare")],
        dict(title="Henry VI, Part 3", authors="William Shakespeare"),
        None,
    ),
    (
        [("Henry IV, Part 1", "William Shakespeare"), ("Henry IV, Part 2", "William Shakespeare")],
        dict(title="Henry IV, Part 2", subtitle="Arkangel Shakespeare", authors="William Shakespeare"),
        1,
    ),
    (
        [("Attack on Titan, Vol. 1", "Hajime Isayama"), ("Attack on Titan, Vol. 3", "Hajime Isayama")],
        dict(title="Attack on Titan, Vol. 2", authors="Hajime Isayama"),
        None,
    ),
    (
        [("Naruto, Vol. 1", "Masashi Kishimoto"), ("Naruto, Vol. 2", "Masashi Kishimoto")],
        dict(title="Naruto, Vol. 1", authors="Masashi Kishimoto"),
        0,
    ),
    (
        [("The Sandman, Vol. 1: Preludes & Nocturnes", "Neil Gaiman")],
        dict(
            title="The Sandman",
            subtitle="Act II",
            authors="Neil Gaiman, Dirk Maggs",
            series_title="The Sandman",
            series_sequence="2",
        ),
        None,
    ),
    (
        [("The Sandman: Act I", "Neil Gaiman")],
        dict(
            title="The Sandman",
            authors="Neil Gaiman, Dirk Maggs",
            series_title="The Sandman",
            series_sequence="1",
        ),
        0,
    ),
    (
        [("A Court of Thorns and Roses", "Sarah J. Maas")],
        dict(
            title="A Court of Mist and Fury",
            subtitle="A Court of Thorns and Roses, Book 2",
            authors="Sarah J. Maas",
            series_title="A Court of Thorns and Roses",
            series_sequence="2",
        ),
        None,
    ),
    (
        [
            ("Diary of a Wimpy Kid #1", "Jeff Kinney"),
            ("Diary of a Wimpy Kid #3: The Last Straw", "Jeff Kinney"),
        ],
        dict(title="Diary of a Wimpy Kid #2", subtitle="Rodrick Rules", authors="Jeff Kinney"),
        None,
    ),
    (
        [("The Expanse, Book 2", "James S. A. Corey")],
        dict(title="The Expanse", subtitle="Book 3", authors="James S. A. Corey"),
        None,
    ),
    (
        [("Star Wars: Episode IV - A New Hope", "George Lucas")],
        dict(title="Star Wars: Episode V", subtitle="The Empire Strikes Back", authors="George Lucas"),
        None,
    ),
    (
        [("Love, Theoretically", "Ali Hazelwood"), ("The Love Hypothesis", "Ali Hazelwood")],
        dict(title="The Love Hypothesis", authors="Ali Hazelwood"),
        1,
    ),
    # -- same title, different author ------------------------------------------------------
    (
        [("It Ends with Us", "Colleen Hoover")],
        dict(title="It Ends with Us", subtitle="A Memoir of Grief", authors="Sarah Holbrook"),
        None,
    ),
    (
        [("The Stand", "Stephen King"), ("Stand", "Carol Ann Duffy")],
        dict(title="The Stand", authors="Stephen King", narrators="Grover Gardner"),
        0,
    ),
    (
        [("Hunger", "Michael Grant"), ("Hunger: A Memoir of (My) Body", "Roxane Gay")],
        dict(title="Hunger", subtitle="A Memoir of (My) Body", authors="Roxane Gay"),
        1,
    ),
    (
        [("The Outsider", "Albert Camus"), ("The Outsider", "Stephen King")],
        dict(title="The Outsider", subtitle="A Novel", authors="Stephen King", narrators="Will Patton"),
        1,
    ),
    ([], dict(title="The Road", subtitle="A Novel", authors="Jack London"), None),
    (
        [
            ("Drive", "James Sallis"),
            ("Drive: The Surprising Truth About What Motivates Us", "Daniel H. Pink"),
        ],
        dict(
            title="Drive", subtitle="The Surprising Truth About What Motivates Us", authors="Daniel H. Pink"
        ),
        1,
    ),
    (
        [("Origin", "Jessica Khoury"), ("Origin", "Dan Brown")],
        dict(
            title="Origin",
            subtitle="A Novel",
            authors="Dan Brown",
            series_title="Robert Langdon",
            series_sequence="5",
        ),
        1,
    ),
    ([("The Gift", "Edith Eger")], dict(title="The Gift", authors="Cecelia Ahern"), None),
    ([("Night", "Elie Wiesel")], dict(title="Night", authors="Marie Lu"), None),
    (
        [("The Fall", "Albert Camus"), ("The Fall", "Guillermo del Toro")],
        dict(title="The Fall", authors="Albert Camus"),
        0,
    ),
    ([("Range", "David Epstein")], dict(title="Range", subtitle="A Novel", authors="Bill Clegg"), None),
    (
        [("Grit", "Angela Duckworth")],
        dict(title="Grit", subtitle="The Power of Passion and Perseverance", authors="Angela Duckworth"),
        0,
    ),
    ([("Influence", "Robert B. Cialdini")], dict(title="Influence", authors="Kate Harrison"), None),
    ([("Emma", "Jane Austen")], dict(title="Emma", authors="Alexander McCall Smith"), None),
    (
        [("The Secret Garden", "Frances Hodgson Burnett")],
        dict(title="The Secret Garden", authors="Kate Forsyth"),
        None,
    ),
    ([("The Plague", "Albert Camus")], dict(title="The Plague", authors="Kristen Simmons"), None),
    ([("Dune", "Frank Herbert")], dict(title="Dune", authors="Kim Rosenthal"), None),
    (
        [("Dune", "Frank Herbert"), ("Dune", None)],
        dict(title="Dune", subtitle="Book One", authors="Frank Herbert"),
        0,
    ),
    (
        [("Frankenstein", "Mary Shelley")],
        dict(title="Frankenstein in Baghdad", authors="Ahmed Saadawi"),
        None,
    ),
    (
        [("Eragon", "Christopher Paolini")],
        dict(title="Eragon", subtitle="Inheritance, Book 1", authors="Christopher Paolini"),
        0,
    ),
    (
        [("Empathy", "Roman Krznaric")],
        dict(
            title="Empathy", subtitle="HBR Emotional Intelligence Series", authors="Harvard Business Review"
        ),
        None,
    ),
    (
        [("Meditations", "Marcus Aurelius")],
        dict(
            title="Meditations",
            subtitle="A New Translation",
            authors="Marcus Aurelius, Gregory Hays - translator",
        ),
        0,
    ),
    (
        [],
        dict(
            title="Pre-Suasion",
            subtitle="A Revolutionary Way to Influence and Persuade",
            authors="Robert Cialdini",
        ),
        None,
    ),
    # -- omnibus / box set vs a single volume ------------------------------------------------
    (
        [("The Hunger Games", "Suzanne Collins")],
        dict(title="The Hunger Games Trilogy", authors="Suzanne Collins"),
        None,
    ),
    (
        [("The Hitchhiker's Guide to the Galaxy", "Douglas Adams")],
        dict(
            title="The Hitchhiker's Guide to the Galaxy",
            subtitle="The Trilogy of Five",
            authors="Douglas Adams",
        ),
        None,
    ),
    (
        [("Sherlock Holmes", "Arthur Conan Doyle")],
        dict(
            title="Sherlock Holmes: The Definitive Collection",
            authors="Stephen Fry - introductions, Arthur Conan Doyle",
            narrators="Stephen Fry",
            series_title="Sherlock Holmes",
            series_sequence="1-6",
        ),
        None,
    ),
    (
        [("A Study in Scarlet", "Arthur Conan Doyle")],
        dict(
            title="Sherlock Holmes", subtitle="The Complete Novels and Stories", authors="Arthur Conan Doyle"
        ),
        None,
    ),
    (
        [("The Eye of the World", "Robert Jordan")],
        dict(title="The Wheel of Time", subtitle="Books 1-3", authors="Robert Jordan"),
        None,
    ),
    (
        [("Leviathan Wakes", "James S.A. Corey")],
        dict(title="The Expanse Box Set", subtitle="Books 1-3", authors="James S. A. Corey"),
        None,
    ),
    (
        [("Mistborn: The Final Empire", "Brandon Sanderson")],
        dict(
            title="Mistborn Trilogy",
            subtitle="The Final Empire, The Well of Ascension, The Hero of Ages",
            authors="Brandon Sanderson",
        ),
        None,
    ),
    (
        [("Animal Farm", "George Orwell"), ("1984", "George Orwell")],
        dict(
            title="Orwell Collection",
            subtitle="Animal Farm & 1984",
            authors="George Orwell",
            narrators="Stephen Fry",
        ),
        None,
    ),
    (
        [("Mindfulness", "Harvard Business Review")],
        dict(
            title="Harvard Business Review Emotional Intelligence Collection",
            subtitle="Happiness, Resilience, Empathy, Mindfulness (HBR Emotional Intelligence Series)",
            authors="Harvard Business Review",
            series_sequence="1-4",
        ),
        None,
    ),
    (
        [("The Lord of the Rings", "J.R.R. Tolkien")],
        dict(
            title="The Return of the King",
            subtitle="The Lord of the Rings, Book 3",
            authors="J. R. R. Tolkien",
        ),
        None,
    ),
    (
        [("The Chronicles of Narnia", "C.S. Lewis")],
        dict(title="The Chronicles of Narnia", subtitle="Books 1-7", authors="C. S. Lewis"),
        None,
    ),
    (
        [("The Foundation Trilogy", "Isaac Asimov")],
        dict(
            title="The Foundation Trilogy",
            subtitle="Foundation, Foundation and Empire, Second Foundation",
            authors="Isaac Asimov",
        ),
        0,
    ),
    (
        [("The Millennium Trilogy", "Stieg Larsson")],
        dict(title="The Girl Who Played with Fire", subtitle="Millennium, Book 2", authors="Stieg Larsson"),
        None,
    ),
    (
        [("The Complete Stories", "Flannery O'Connor")],
        dict(title="A Good Man Is Hard to Find", subtitle="And Other Stories", authors="Flannery O'Connor"),
        None,
    ),
    (
        [("Terry Pratchett: BBC Radio Drama Collection", "Terry Pratchett")],
        dict(
            title="Terry Pratchett: BBC Radio Drama Collection",
            subtitle="Seven BBC Radio 4 Full-Cast Dramatisations",
            authors="Terry Pratchett",
        ),
        0,
    ),
    (
        [("Harry Potter: The Complete Collection", "J.K. Rowling")],
        dict(
            title="Harry Potter and the Goblet of Fire",
            subtitle="Harry Potter, Book 4",
            authors="J.K. Rowling",
        ),
        None,
    ),
    # -- companion works ---------------------------------------------------------------------
    (
        [("The Hobbit: The Making of the Movie", "Brian Sibley"), ("The Hobbit", "Tolkien, J.R.R.")],
        dict(
            title="The Hobbit",
            subtitle="A BBC Full-Cast Radio Drama",
            authors="J.R.R. Tolkien",
            narrators="full cast",
        ),
        1,
    ),
    (
        [("The Hobbit: The Making of the Movie", "Brian Sibley")],
        dict(title="The Hobbit", subtitle="The Making of the Movie", authors="Brian Sibley"),
        0,
    ),
    ([("The Hobbit", "Tolkien, J.R.R.")], dict(title="The Hobbit Companion", authors="David Day"), None),
    (
        [("The Annotated Wizard of Oz", "L. Frank Baum")],
        dict(title="The Wonderful Wizard of Oz", authors="L. Frank Baum"),
        None,
    ),
    (
        [("The Annotated Wizard of Oz", "L. Frank Baum")],
        dict(title="The Wizard of Oz", subtitle="The Annotated Edition", authors="L. Frank Baum"),
        0,
    ),
    (
        [],
        dict(
            title="Summary of Atomic Habits",
            subtitle="An Easy & Proven Way to Build Good Habits & Break Bad Ones",
            authors="QuickRead",
        ),
        None,
    ),
    ([], dict(title="Atomic Habits", subtitle="Summary", authors="James Clear"), None),
    (
        [("Sapiens: A Brief History of Humankind", "Yuval Noah Harari")],
        dict(title="Sapiens", subtitle="A Graphic History", authors="Yuval Noah Harari, David Vandermeulen"),
        None,
    ),
    (
        [("Dune", "Frank Herbert")],
        dict(
            title="Dune",
            subtitle="The Graphic Novel, Book 1",
            authors="Frank Herbert, Brian Herbert, Kevin J. Anderson",
        ),
        None,
    ),
    (
        [("The Silmarillion", "J.R.R. Tolkien")],
        dict(title="The Silmarillion", subtitle="A Reader's Guide", authors="J.R.R. Tolkien"),
        None,
    ),
    (
        [("A Game of Thrones", "George R.R. Martin")],
        dict(
            title="The World of Ice & Fire",
            subtitle="The Untold History of Westeros and the Game of Thrones",
            authors="George R. R. Martin, Elio M. Garcia Jr., Linda Antonsson",
        ),
        None,
    ),
    (
        [("The Lord of the Rings", "J.R.R. Tolkien")],
        dict(
            title="The Lord of the Rings",
            subtitle="The Official Guide to the Movies",
            authors="J.R.R. Tolkien",
        ),
        None,
    ),
    (
        [("Outlander", "Diana Gabaldon")],
        dict(title="The Outlandish Companion", subtitle="Companion to Outlander", authors="Diana Gabaldon"),
        None,
    ),
    (
        [("The Hunger Games", "Suzanne Collins")],
        dict(title="The Hunger Games", subtitle="Workbook", authors="Suzanne Collins"),
        None,
    ),
    # -- ISBN in the tracker on the wrong book (a typo): equal ISBN, different title ----------------
    # -- a tracker holding other volumes of the series: the item's volume is absent ----------------
    (
        [("The Story of Civilization, Volume 5: The Renaissance", "Will Durant")],
        dict(title="The Story of Civilization, Volume 6", subtitle="The Reformation", authors="Will Durant"),
        None,
    ),
    (
        [("The Walking Dead, Vol. 1: Days Gone Bye", "Robert Kirkman")],
        dict(title="The Walking Dead, Vol. 3", subtitle="Safety Behind Bars", authors="Robert Kirkman"),
        None,
    ),
    (
        [("Outlander", "Diana Gabaldon")],
        dict(
            title="Dragonfly in Amber",
            subtitle="Outlander, Book 2",
            authors="Diana Gabaldon",
            series_title="Outlander",
            series_sequence="2",
        ),
        None,
    ),
    (
        [("The Well of Ascension (Mistborn, #2)", "Brandon Sanderson")],
        dict(
            title="The Alloy of Law",
            subtitle="A Mistborn Novel",
            authors="Brandon Sanderson",
            series_title="Mistborn",
            series_sequence="4",
        ),
        None,
    ),
    (
        [("Harry Potter and the Prisoner of Azkaban", "Rowling, J. K.")],
        dict(
            title="Harry Potter and the Order of the Phoenix",
            subtitle="Harry Potter, Book 5",
            authors="J.K. Rowling",
            series_title="Harry Potter",
            series_sequence="5",
        ),
        None,
    ),
    # The same book counted in publication order by the tracker, in reading order by Audible.
    (
        [("The Voyage of the Dawn Treader (The Chronicles of Narnia, #3)", "C.S. Lewis")],
        dict(
            title="The Voyage of the Dawn Treader",
            subtitle="The Chronicles of Narnia, Book 5",
            authors="C. S. Lewis",
            series_title="The Chronicles of Narnia",
            series_sequence="5",
        ),
        0,
    ),
    # -- the same title by another author --------------------------------------------------------
    (
        [("Happiness: A Guide to Developing Life's Most Important Skill", "Matthieu Ricard")],
        dict(
            title="Happiness",
            subtitle="HBR Emotional Intelligence Series",
            authors="Harvard Business Review, Daniel Gilbert, Annie McKee",
            series_title="HBR Emotional Intelligence Series",
        ),
        None,
    ),
    (
        [],
        dict(
            title="Resilience",
            subtitle="HBR Emotional Intelligence Series",
            authors="Harvard Business Review, Daniel Goleman",
            series_title="HBR Emotional Intelligence Series",
        ),
        None,
    ),
    ([], dict(title="Inferno", authors="Dante Alighieri, Robert Pinsky - translator"), None),
    ([], dict(title="The Outliers", authors="Kimberly McCreight", narrators="Lauren Fortgang"), None),
    (
        [("Wonder", "R.J. Palacio")],
        dict(title="Wonder", authors="R. J. Palacio", narrators="Diana Steele"),
        0,
    ),
    # -- collections -------------------------------------------------------------------------------
    (
        [("Sherlock Holmes: The Complete Stories", "Arthur Conan Doyle")],
        dict(
            title="The Adventures of Sherlock Holmes", authors="Arthur Conan Doyle", narrators="Derek Jacobi"
        ),
        None,
    ),
    (
        [("The Hitchhiker's Guide to the Galaxy", "Douglas Adams")],
        dict(
            title="The Ultimate Hitchhiker's Guide to the Galaxy",
            subtitle="The Complete Trilogy in Five Parts",
            authors="Douglas Adams",
        ),
        None,
    ),
    (
        [("Grimms' Fairy Tales", "Jacob Grimm & Wilhelm Grimm")],
        dict(
            title="Grimms' Fairy Tales",
            subtitle="The Complete Collection",
            authors="Jacob Grimm, Wilhelm Grimm",
            narrators="Jim Weiss",
        ),
        0,
    ),
    (
        [("The Complete Works of William Shakespeare", "William Shakespeare")],
        dict(title="Othello", subtitle="Arkangel Shakespeare", authors="William Shakespeare"),
        None,
    ),
    # -- adaptations: a person decides whether the plain book is meant -------------------------------
    (
        [("Norse Mythology", "Neil Gaiman")],
        dict(
            title="Norse Mythology",
            subtitle="A BBC Radio 4 Full-Cast Dramatisation",
            authors="Neil Gaiman",
            narrators="full cast, Diana Rigg, Derek Jacobi",
            series_title="Neil Gaiman Full-Cast Radio Adaptations",
        ),
        0,
    ),
    (
        [("Neverwhere", "Neil Gaiman"), ("Neverwhere (BBC Radio 4 dramatisation)", "Neil Gaiman")],
        dict(
            title="Neverwhere",
            subtitle="The BBC Radio 4 Full-Cast Dramatisation",
            authors="Neil Gaiman",
            narrators="James McAvoy, Natalie Dormer",
        ),
        1,
    ),
    (
        [
            (
                "Good Omens: The Nice and Accurate Prophecies of Agnes Nutter, Witch",
                "Terry Pratchett & Neil Gaiman",
            )
        ],
        dict(
            title="Good Omens",
            subtitle="The BBC Radio 4 Dramatisation",
            authors="Terry Pratchett, Neil Gaiman",
        ),
        0,
    ),
    (
        [("Dracula", "Bram Stoker")],
        dict(
            title="Dracula", subtitle="A Full-Cast Audio Drama", authors="Bram Stoker", narrators="full cast"
        ),
        0,
    ),
    (
        [("Great Expectations", "Charles Dickens")],
        dict(title="Great Expectations (Abridged)", authors="Charles Dickens", narrators="Hugh Laurie"),
        0,
    ),
    (
        [("The Lord of the Rings", "J.R.R. Tolkien")],
        dict(
            title="The Lord of the Rings",
            subtitle="The Classic BBC Radio 4 Full-Cast Dramatisation",
            authors="J. R. R. Tolkien",
            narrators="Ian Holm, Michael Hordern",
        ),
        0,
    ),
    (
        [("Sapiens: A Brief History of Humankind", "Yuval Noah Harari")],
        dict(title="Summary of Sapiens", subtitle="A Brief History of Humankind", authors="Instaread"),
        None,
    ),
    (
        [("Animal Farm", "George Orwell")],
        dict(title="Animal Farm", subtitle="SparkNotes Literature Guide", authors="SparkNotes"),
        None,
    ),
    (
        [("Thinking, Fast and Slow", "Daniel Kahneman")],
        dict(title="Thinking, Fast and Slow", subtitle="Summary", authors="Daniel Kahneman"),
        0,
    ),
]

ABSENT = """
The Fires of Heaven|Book Five of The Wheel of Time|Robert Jordan|Kate Reading, Michael Kramer|The Wheel of Time|5
Lord of Chaos|Book Six of The Wheel of Time|Robert Jordan|Kate Reading, Michael Kramer|The Wheel of Time|6
Crossroads of Twilight|Book Ten of The Wheel of Time|Robert Jordan|Kate Reading, Michael Kramer|The Wheel of Time|10
Rhythm of War|Book Four of the Stormlight Archive|Brandon Sanderson|Michael Kramer, Kate Reading|The Stormlight Archive|4
The Hero of Ages|Mistborn, Book 3|Brandon Sanderson|Michael Kramer|Mistborn|3
A Feast for Crows|A Song of Ice and Fire, Book 4|George R. R. Martin|Roy Dotrice|A Song of Ice and Fire|4
Harry Potter and the Half-Blood Prince|Harry Potter, Book 6|J.K. Rowling|Stephen Fry|Harry Potter|6
God Emperor of Dune|Dune Chronicles, Book 4|Frank Herbert|Simon Vance|Dune|4
Abaddon's Gate|The Expanse, Book 3|James S. A. Corey|Jefferson Mays|The Expanse|3
The Stone Sky|The Broken Earth, Book 3|N. K. Jemisin|Robin Miles|The Broken Earth|3
Morning Star|Red Rising Series, Book 3|Pierce Brown|Tim Gerard Reynolds|Red Rising|3
Death's End||Cixin Liu, Ken Liu - translator|P. J. Ochlan|Remembrance of Earth's Past|3
The Fall of Hyperion||Dan Simmons|Marc Vietor|Hyperion Cantos|2
The Tombs of Atuan|The Earthsea Cycle, Book 2|Ursula K. Le Guin|Jenny Sterlin|Earthsea Cycle|2
The Light Fantastic|Discworld, Book 2|Terry Pratchett|Nigel Planer|Discworld|2
The Waste Lands|The Dark Tower III|Stephen King|Frank Muller|The Dark Tower|3
Mindful Listening|HBR Emotional Intelligence Series|Harvard Business Review|Eleanor McCormick, P.J. Ochlan|HBR Emotional Intelligence Series|
Purpose, Meaning, and Passion|HBR Emotional Intelligence Series|Harvard Business Review|Justin Price, Ann Sprinkle|HBR Emotional Intelligence Series|
Dealing with Difficult People|HBR Emotional Intelligence Series|Harvard Business Review|Mike Lenz, Eleanor McCormick|HBR Emotional Intelligence Series|
Heist with Michael Caine||Michael Caine|||
Gutfull: What to Eat for a Happy Gut||Dr Joanna McMillan|||
Bulls, Bears and Other Beasts|A Story of the Indian Stock Market|Santosh Nair|Swetanshu Bora||
Ambedkar's India|A Collection of 3 Works by BR Ambedkar on Castes and the Constitution|B.R. Ambedkar|Mishal Varma||
The Day I Became a Runner|A Women's History of India Through the Lens of Sport|Sohini Chattopadhyay|Shivani Vakil Savant||
Brave New Words|How AI Will Revolutionize Education (and Why That’s a Good Thing)|Salman Khan|Salman Khan||
The Next Conversation|Argue Less, Talk More|Jefferson Fisher|Jefferson Fisher||
Valmiki's Women|Five Tales from the Ramayana|Anand Neelakantan|Meher Acharia Dar||
The Lion and the Mouse||Lavanya R. N|Karthik Kumar||
The Monkey and the Crocodile||Shobha Viswanath|Naseeruddin Shah||
Hanuman the Mighty||Shobha Viswanath|Girish Karnad||
Why I Am an Atheist and Other Works||Bhagat Singh|Siddhanta Pinto||
What We Talk About When We Talk About Rape||Sohaila Abdulali|Sohaila Abdulali||
A Life on Our Planet|My Witness Statement and Vision for the Future|David Attenborough|David Attenborough||
Recovering from Emotionally Immature Parents|Practical Tools to Establish Boundaries and Reclaim Your Emotional Autonomy|Lindsay C. Gibson PsyD|Suzie Althens||
The Practicing Mind|Developing Focus and Discipline in Your Life|Thomas M. Sterner|Thomas M. Sterner||
Rapt|Attention and the Focused Life|Winifred Gallagher|Laural Merlington||
101 Essays That Will Change the Way You Think||Brianna Wiest|Abby Craden||
The Bipolar Disorder Survival Guide|What You and Your Family Need to Know|David J. Miklowitz|Kris Koscheski||
Art of Seduction|An Indispensible Primer on the Ultimate Form of Power|Robert Greene|Joseph Powers||
The Extraordinary Adventures of Arsene Lupin, Gentleman Burglar [Classic Tales Edition]||Maurice Leblanc|B.J. Harrison|Arsène Lupin|1
Many Ramayanas, Many Lessons||Anand Neelkanthan, Anand Neelakantan|Manish Dongardive||
The Thursday Murder Club|A Novel|Richard Osman|Lesley Manville||
Tomorrow Will Be Different|Love, Loss, and the Fight for Trans Equality|Sarah McBride|Sarah McBride||
The Nightingale|A Novel|Kristin Hannah|Polly Stone||
The Silent Patient||Alex Michaelides|Jack Hawkins, Louise Brealey||
Station Eleven|A Novel|Emily St. John Mandel|Kirsten Potter||
The Poppy War|The Poppy War, Book 1|R. F. Kuang|Emily Woo Zeller|The Poppy War|1
Babel|Or the Necessity of Violence: An Arcane History of the Oxford Translators' Revolution|R. F. Kuang|Chris Lew Kum Hoi, Billie Fulford-Brown||
The House in the Cerulean Sea||TJ Klune|Daniel Henning||
A Little Life|A Novel|Hanya Yanagihara|Oliver Wyman||
"""

# Tracker books nobody listens to: a realistic tracker holds far more books than the
# library, and these compete for the same words.
TRACKER_ONLY = """
The Hero with a Thousand Faces|Joseph Campbell
The Wheel of Time Companion|Robert Jordan
Wheel of Time Coloring Book|Robert Jordan
The Way of Shadows|Brent Weeks
Kings of the Wyld|Nicholas Eames
The Name of All Things|Jenn Lyons
A Storm of Spears|Christian Cameron
The Girl Who Kicked the Hornet's Nest|Stieg Larsson
The Children of Húrin|J.R.R. Tolkien
Unfinished Tales|Tolkien, J.R.R.
The Fall of Gondolin|J.R.R. Tolkien
The Laws of Human Nature|Robert Greene
Mastery|Robert Greene
The Daily Stoic Journal|Ryan Holiday
Ego Is the Enemy|Ryan Holiday
The Obstacle Is the Way|Ryan Holiday
Emotional Intelligence|Daniel Goleman
Mindfulness: An Eight-Week Plan for Finding Peace in a Frantic World|Mark Williams
Resilience: Hard-Won Wisdom for Living a Better Life|Eric Greitens
The Happiness Hypothesis|Jonathan Haidt
The Anxious Generation|Jonathan Haidt
Nexus|Yuval Noah Harari
Noise: A Flaw in Human Judgment|Daniel Kahneman
Talking to Strangers|Malcolm Gladwell
David and Goliath|Malcolm Gladwell
Digital Minimalism|Cal Newport
So Good They Can't Ignore You|Cal Newport
The Road to Wigan Pier|George Orwell
Homage to Catalonia|George Orwell
Down and Out in Paris and London|George Orwell
Burmese Days|George Orwell
The Doors of Perception|Aldous Huxley
Island|Aldous Huxley
The Testaments|Margaret Atwood
Oryx and Crake|Margaret Atwood
The Buried Giant|Kazuo Ishiguro
No Country for Old Men|Cormac McCarthy
All the Pretty Horses|Cormac McCarthy
Mansfield Park|Jane Austen
Northanger Abbey|Jane Austen
Villette|Charlotte Brontë
Agnes Grey|Anne Brontë
Oliver Twist|Charles Dickens
David Copperfield|Charles Dickens
Hard Times|Charles Dickens
The Idiot|Fyodor Dostoevsky
Notes from Underground|Fyodor Dostoevsky
Demons|Fyodor Dostoevsky
The Death of Ivan Ilyich|Leo Tolstoy
Resurrection|Leo Tolstoy
The Hunchback of Notre-Dame|Victor Hugo
Twenty Years After|Alexandre Dumas
Chronicle of a Death Foretold|Gabriel García Márquez
The Castle|Franz Kafka
Men Without Women|Haruki Murakami
Sula|Toni Morrison
Jazz|Toni Morrison
The Ministry of Utmost Happiness|Arundhati Roy
And the Mountains Echoed|Khaled Hosseini
The Little Friend|Donna Tartt
Sharp Objects|Gillian Flynn
Dark Places|Gillian Flynn
Big Magic|Elizabeth Gilbert
Ugly Love|Colleen Hoover
Reminders of Him|Colleen Hoover
It Starts with Us|Colleen Hoover
Malibu Rising|Taylor Jenkins Reid
Conversations with Friends|Sally Rooney
Beautiful World, Where Are You|Sally Rooney
The Humans|Matt Haig
Galatea|Madeline Miller
Misery|Stephen King
Carrie|Stephen King
It|Stephen King
Salem's Lot|Stephen King
The Dark Tower|Stephen King
Death on the Nile|Agatha Christie
The Murder of Roger Ackroyd|Agatha Christie
The Sign of Four|Arthur Conan Doyle
The Long Goodbye|Raymond Chandler
Inferno|Dan Brown
The Lost Symbol|Dan Brown
Cosmos: A Spacetime Odyssey|Neil deGrasse Tyson
Pale Blue Dot|Carl Sagan
The Demon-Haunted World|Carl Sagan
The God Delusion|Richard Dawkins
Collapse|Jared Diamond
The Song of the Cell|Siddhartha Mukherjee
Bullshit Jobs|David Graeber
The Dawn of Everything|David Graeber & David Wengrow
White Mughals|William Dalrymple
The Last Mughal|William Dalrymple
Why I Am a Hindu|Shashi Tharoor
Pax Romana|Adrian Goldsworthy
Refactoring|Martin Fowler
The Mythical Man-Month|Frederick P. Brooks Jr.
The Unicorn Project|Gene Kim
Clean Architecture|Robert C. Martin
Superintelligence|Nick Bostrom
Human Compatible|Stuart Russell
Self-Care for Adult Children of Emotionally Immature Parents|Lindsay C. Gibson
Disentangling from Emotionally Immature People|Lindsay C. Gibson
The BFG|Roald Dahl
The Witches|Roald Dahl
The Little Mermaid|Hans Christian Andersen
Through the Looking-Glass|Lewis Carroll
Prince Caspian|C.S. Lewis
The Horse and His Boy|C.S. Lewis
Kidnapped|Robert Louis Stevenson
A Farewell to Arms|Ernest Hemingway
Orlando|Virginia Woolf
Dubliners|James Joyce
Lord Jim|Joseph Conrad
The Invisible Man|H.G. Wells
Journey to the Center of the Earth|Jules Verne
The Invisible Life of Addie LaRue|V.E. Schwab
Red Seas Under Red Skies|Scott Lynch
Before They Are Hanged|Joe Abercrombie
Deadhouse Gates|Steven Erikson
Royal Assassin|Robin Hobb
Life, the Universe and Everything|Douglas Adams
So Long, and Thanks for All the Fish|Douglas Adams
The Ramayana|Valmiki
The Bhagavad Gita|Eknath Easwaran
HBR's 10 Must Reads on Leadership|Harvard Business Review
HBR's 10 Must Reads on Strategy|Harvard Business Review
HBR Guide to Better Business Writing|Bryan A. Garner
Henry VIII|William Shakespeare
Hamlet|William Shakespeare
Macbeth|William Shakespeare
The Tempest|William Shakespeare
Star Wars: Episode VI - Return of the Jedi|George Lucas
The Lion & the Mouse|Jerry Pinkney
The Nightingale|Hans Christian Andersen
"""


def _isbn13(rng: random.Random) -> str:
    body = "978" + "".join(str(rng.randrange(10)) for _ in range(9))
    total = sum((1 if i % 2 == 0 else 3) * int(ch) for i, ch in enumerate(body))
    return body + str((10 - total % 10) % 10)


def _isbn10_from13(isbn13: str, hyphenate: bool) -> str:
    core = isbn13[3:12]
    total = sum((10 - i) * int(ch) for i, ch in enumerate(core))
    check = (11 - total % 11) % 11
    text = core + ("X" if check == 10 else str(check))
    return f"{text[0]}-{text[1:4]}-{text[4:9]}-{text[9]}" if hyphenate else text


def _asin(rng: random.Random, used: set[str]) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"
    while True:
        asin = "B0" + "".join(rng.choice(alphabet) for _ in range(8))
        if asin not in used:
            used.add(asin)
            return asin


def _last_first(author: str) -> str:
    first = author.split(",")[0].split("&")[0].strip()
    words = first.split()
    return f"{words[-1]}, {' '.join(words[:-1])}" if len(words) > 1 else first


def build() -> tuple[list[dict], list[dict], dict[str, int | None]]:
    rng = random.Random(20240611)
    used: set[str] = set()
    books: list[dict] = []
    library: list[dict] = []
    labels: dict[str, int | None] = {}

    by_key: dict[tuple[str, str | None], dict] = {}

    def add_book(
        title: str, author: str | None, isbn: str | None = None, key_author: str | None = None
    ) -> dict:
        # One book per (title, author): traps reuse the matched section's books
        # rather than planting accidental duplicates in the tracker.
        key = (title, key_author or author)
        if key in by_key:
            return by_key[key]
        book = {"id": 0, "title": title, "author": author, "isbn": isbn}
        books.append(book)
        by_key[key] = book
        return book

    def add_item(fields: dict, truth: dict | None) -> None:
        item = {
            "asin": _asin(rng, used),
            "title": fields.get("title", ""),
            "subtitle": fields.get("subtitle") or None,
            "authors": fields.get("authors") or None,
            "narrators": fields.get("narrators") or None,
            "series_title": fields.get("series_title") or None,
            "series_sequence": fields.get("series_sequence") or None,
            "is_finished": rng.random() < 0.3,
            "percent_complete": round(rng.random() * 100, 1),
            "runtime_length_min": rng.randrange(60, 3000),
            "release_date": f"{rng.randrange(1995, 2025)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
            "date_added": f"2023-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T10:00:00Z",
        }
        if fields.get("isbn"):
            item["isbn"] = fields["isbn"]
        # The export drops keys whose value is null.
        library.append({k: v for k, v in item.items() if v is not None})
        labels[item["asin"]] = None if truth is None else id(truth)

    for i, line in enumerate(row for row in MATCHED.strip().splitlines() if row.strip()):
        t_title, t_author, a_title, a_sub, a_authors, narrators, series, seq = line.split("|")
        isbn13 = _isbn13(rng)
        style = i % 6
        tracker_isbn = {
            0: isbn13,
            1: _isbn10_from13(isbn13, True),
            2: None,
            3: _isbn10_from13(isbn13, False),
        }.get(style % 4)
        author: str | None = t_author
        if i % 13 == 5:
            author = _last_first(t_author)
        if i % 29 == 7 and len(t_title.split()) > 2:
            author = None  # readers do leave the author empty
        book = add_book(t_title, author, tracker_isbn, key_author=t_author)
        title = a_title
        if i % 9 == 4:
            title += " (Unabridged)"
        fields = dict(
            title=title,
            subtitle=a_sub,
            authors=a_authors,
            narrators=narrators,
            series_title=series,
            series_sequence=seq,
        )
        if i % 3 == 0 and tracker_isbn:
            # Same book, the other ISBN form (13 vs 10, hyphens).
            fields["isbn"] = isbn13 if style % 4 != 0 else _isbn10_from13(isbn13, i % 2 == 0)
        elif i % 3 == 1:
            fields["isbn"] = _isbn13(rng)  # the audiobook's own ISBN: says nothing either way
        add_item(fields, book)

    for tracker, fields, truth_index in TRAPS:
        added = [
            add_book(title, author, _isbn13(rng) if rng.random() < 0.5 else None) for title, author in tracker
        ]
        add_item(fields, None if truth_index is None else added[truth_index])

    for line in ABSENT.strip().splitlines():
        title, sub, authors, narrators, series, seq = line.split("|")
        add_item(
            dict(
                title=title,
                subtitle=sub,
                authors=authors,
                narrators=narrators,
                series_title=series,
                series_sequence=seq,
            ),
            None,
        )

    for line in TRACKER_ONLY.strip().splitlines():
        title, author = line.split("|")
        add_book(title, author, _isbn13(rng) if rng.random() < 0.4 else None)

    # Items with an empty title: reported unmatched, never a crash.
    add_item(dict(title="", authors="Unknown Author"), None)
    add_item(dict(title="   ", subtitle="Book 1"), None)

    # A tracker typo: the ISBN of one book typed onto another. Equal ISBN, unrelated title.
    typo_isbn = _isbn13(rng)
    add_book("The Snows of Kilimanjaro", "Ernest Hemingway", _isbn10_from13(typo_isbn, True))
    add_item(dict(title="The Snow Leopard", authors="Peter Matthiessen", isbn=typo_isbn), None)

    # Ids: shuffled so that tracker order says nothing about the answer.
    order = list(range(len(books)))
    rng.shuffle(order)
    ids = {}
    for new_id, index in enumerate(order, start=1001):
        books[index]["id"] = new_id
        ids[id(books[index])] = new_id
    labels = {asin: (None if key is None else ids[key]) for asin, key in labels.items()}
    books.sort(key=lambda b: b["id"])
    rng.shuffle(library)
    return library, books, labels


def main() -> None:
    library, books, labels = build()
    (HERE / "library.json").write_text(
        json.dumps(library, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    with (HERE / "books.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["id", "title", "author", "isbn"])
        writer.writeheader()
        for book in books:
            writer.writerow({k: ("" if v is None else v) for k, v in book.items()})
    ordered = {item["asin"]: labels[item["asin"]] for item in library}
    (HERE / "labels.json").write_text(json.dumps(ordered, indent=1) + "\n", encoding="utf-8")
    present = sum(v is not None for v in ordered.values())
    print(f"{len(library)} library items ({present} in the tracker), {len(books)} tracker books")


if __name__ == "__main__":
    main()
